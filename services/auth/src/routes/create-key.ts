import type { OpenAPIHono } from '@hono/zod-openapi';
import { createKeyRoute } from '@ipp/contracts/routes';
import type { AppEnv, Pool } from '@ipp/platform';
import { requireJsonBody } from '@ipp/platform/json-body';
import { createKey } from '../key-repository.ts';

/** `POST /api/keys` → 201 with the key, shown this once. */
export function mountCreateKey(api: OpenAPIHono<AppEnv>, options: { pool: Pool; onCreated: () => void }) {
  api.openapi({ ...createKeyRoute, middleware: [requireJsonBody] }, async (c) => {
    const created = await createKey(options.pool, c.req.valid('json'));
    options.onCreated();
    // Never the key: the log names it by id and prefix.
    c.get('log').info({ key_id: created.id, prefix: created.prefix, scopes: created.scopes }, 'key created');
    return c.json(created, 201);
  });
}
