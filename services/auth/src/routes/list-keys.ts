import type { OpenAPIHono } from '@hono/zod-openapi';
import { pagesFor } from '@ipp/contracts';
import { listKeysRoute } from '@ipp/contracts/routes';
import type { AppEnv, Pool } from '@ipp/platform';
import { listKeys } from '../key-repository.ts';

/** `GET /api/keys?page&per_page`: keys newest first, revoked ones included; never a key or its hash. */
export function mountListKeys(api: OpenAPIHono<AppEnv>, options: { pool: Pool }) {
  api.openapi(listKeysRoute, async (c) => {
    const { page, per_page } = c.req.valid('query');
    const { items, total } = await listKeys(options.pool, page, per_page);
    return c.json({ items, page, per_page, total, pages: pagesFor(total, per_page) }, 200);
  });
}
