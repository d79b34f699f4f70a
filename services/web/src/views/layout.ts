import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV = [
  { href: '/', label: 'Upload', section: 'upload' },
  { href: '/requests', label: 'Requests', section: 'requests' },
  { href: '/products', label: 'Products', section: 'products' },
  { href: '/status', label: 'Health', section: 'health' },
  { href: '/api/docs', label: 'API reference', section: 'docs' },
] as const;

export type Section = (typeof NAV)[number]['section'] | 'key';

/**
 * Every page's frame: a skip link, the navigation (the current section marked for screen readers too),
 * the page's own main region, and the scripts, which only enhance what the HTML already does.
 */
export function layout(options: { title: string; section: Section; body: Markup; scripts?: string[] }) {
  const scripts = ['/assets/app.js', ...(options.scripts ?? [])];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Image Processing Platform</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
${scripts.map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <a class="brand" href="/">Image Processing Platform</a>
  <nav aria-label="Main">
    <ul>
      ${NAV.map(
        (item) =>
          html`<li><a href="${item.href}"${item.section === options.section ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
      )}
      <li><a href="/key"${options.section === 'key' ? html` aria-current="page"` : ''}>API key</a></li>
    </ul>
  </nav>
</header>
<main id="main" tabindex="-1">
${options.body}
</main>
</body>
</html>`;
}
