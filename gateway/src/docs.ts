import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildOpenApiDocument } from './openapi-document.ts';
import { renderProblemPages } from './problem-pages.ts';

export type StaticPage = { contentType: string; body: Buffer; headers?: Record<string, string> };

// The reference runs only the pinned package's script from this origin; it injects its own styles and
// style attributes at run time, hence 'unsafe-inline' for styles alone.
const REFERENCE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

// The mount point is not `#api-reference`: the bundle mounts a second, empty reference on an element of that
// id by itself (its older script-tag API), which stayed a loading skeleton above the real one.
const REFERENCE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Image Processing Platform API</title>
</head>
<body>
<div id="app"></div>
<script src="/api/docs/scalar.js"></script>
<script src="/api/docs/reference.js"></script>
</body>
</html>
`;

// Scalar's own services stay off: on a local address it offers "Ask AI" (agent), and "Share", "Deploy" and
// "Generate SDKs & MCP" (developer tools), which would call scalar.com; this page's policy allows no other host.
const REFERENCE_SCRIPT = `Scalar.createApiReference('#app', {
  url: '/api/openapi.json',
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  showDeveloperTools: 'never',
  agent: { disabled: true },
  mcp: { disabled: true },
});
`;

// The bundle's font faces load Inter from fonts.scalar.com even with `withDefaultFonts: false`; without
// their sources the page uses the system's fonts and asks no other host for anything.
const REMOTE_FONT = /src: url\(https:\/\/fonts\.scalar\.com\/[\w.-]+\) format\("woff2"\);/g;

/**
 * The browser bundle of @scalar/api-reference at the version package-lock.json pins. The image carries only
 * that one file (gateway/vendor/, from the Dockerfile): the package's dependency tree would double its size.
 */
export function scalarBundle() {
  const vendored = new URL('../vendor/scalar-standalone.js', import.meta.url);
  let source: string;
  if (existsSync(vendored)) source = readFileSync(vendored, 'utf8');
  else {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@scalar/api-reference'); // dist/index.js; the package exports no package.json
    source = readFileSync(join(dirname(entry), 'browser/standalone.js'), 'utf8');
  }
  return Buffer.from(source.replace(REMOTE_FONT, ''));
}

/**
 * The public API's OpenAPI document (generated from the route declarations), its browsable reference page
 * with its scripts, served from this origin only, and the page of each problem type. All are rendered once
 * at start-up, so serving them costs a buffer write.
 */
export async function renderDocs(version: string): Promise<Record<string, StaticPage>> {
  const document = buildOpenApiDocument({ version });
  const policy = { 'content-security-policy': REFERENCE_POLICY };
  return {
    '/api/openapi.json': {
      contentType: 'application/json; charset=utf-8',
      body: Buffer.from(JSON.stringify(document)),
    },
    '/api/docs': { contentType: 'text/html; charset=utf-8', body: Buffer.from(REFERENCE_PAGE), headers: policy },
    '/api/docs/scalar.js': { contentType: 'text/javascript; charset=utf-8', body: scalarBundle(), headers: policy },
    '/api/docs/reference.js': {
      contentType: 'text/javascript; charset=utf-8',
      body: Buffer.from(REFERENCE_SCRIPT),
      headers: policy,
    },
    ...renderProblemPages(),
  };
}
