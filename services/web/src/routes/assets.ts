import { readFileSync } from 'node:fs';
import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};
const FILES = ['app.css', 'app.js', 'upload.js', 'live.js', 'favicon.svg'];

/** `GET /assets/<file>`: the pages' stylesheet, scripts and icon, read once at start from this package. */
export function mountAssets(app: Hono<AppEnv>) {
  const assets = new Map(
    FILES.map((name) => [
      name,
      {
        body: readFileSync(new URL(`../assets/${name}`, import.meta.url)),
        type: TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream',
      },
    ]),
  );
  app.get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.notFound();
    c.header('content-type', asset.type);
    c.header('cache-control', 'public, max-age=300');
    return c.body(new Uint8Array(asset.body));
  });
}
