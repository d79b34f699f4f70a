import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRoute } from '@hono/zod-openapi';
import { KeySnapshotSchema, KeyUsageSchema } from '@ipp/contracts';
import type { AppEnv, Pool } from '@ipp/platform';
import { requireJsonBody } from '@ipp/platform/json-body';
import { activeKeys, recordUsage, snapshotVersion } from '../key-repository.ts';

// Internal: the gateway never forwards /internal/*, so these stay out of the public document.
const snapshotRoute = createRoute({
  method: 'get',
  path: '/internal/keys',
  hide: true,
  responses: {
    200: { description: 'Every active key.', content: { 'application/json': { schema: KeySnapshotSchema } } },
    304: { description: 'Unchanged since the version in If-None-Match.' },
  },
});

const usageRoute = createRoute({
  method: 'post',
  path: '/internal/keys/usage',
  hide: true,
  middleware: [requireJsonBody],
  request: { body: { required: true, content: { 'application/json': { schema: KeyUsageSchema } } } },
  responses: { 204: { description: 'Recorded.' } },
});

/**
 * What the gateways poll every second: the active keys, or 304 when nothing changed since the version they
 * hold (one small aggregate query), and where they report when keys were last used.
 */
export function mountInternalKeys(
  api: OpenAPIHono<AppEnv>,
  options: { pool: Pool; onSnapshot: (changed: boolean) => void },
) {
  const { pool } = options;
  api.openapi(snapshotRoute, async (c) => {
    const etag = `"${await snapshotVersion(pool)}"`;
    c.header('etag', etag);
    c.header('cache-control', 'no-store');
    const unchanged = c.req.header('if-none-match') === etag;
    options.onSnapshot(!unchanged);
    if (unchanged) return c.body(null, 304);
    return c.json(await activeKeys(pool), 200);
  });
  api.openapi(usageRoute, async (c) => {
    await recordUsage(pool, c.req.valid('json'));
    return c.body(null, 204);
  });
}
