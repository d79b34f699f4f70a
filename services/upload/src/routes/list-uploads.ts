import type { OpenAPIHono } from '@hono/zod-openapi';
import { pagesFor } from '@ipp/contracts';
import { listUploadsRoute } from '@ipp/contracts/routes';
import type { AppEnv } from '@ipp/platform';
import { callerOf } from '../caller.ts';
import type { Pool } from '../database.ts';
import { listSummaries } from '../status-repository.ts';

/** `GET /api/uploads?page&per_page`: upload requests, newest first, without their items. */
export function mountListUploads(api: OpenAPIHono<AppEnv>, options: { pool: Pool; publicBaseUrl: string }) {
  api.openapi(listUploadsRoute, async (c) => {
    const { page, per_page } = c.req.valid('query');
    const caller = callerOf((name) => c.req.header(name));
    const { items, total } = await listSummaries(options.pool, page, per_page, options.publicBaseUrl, caller);
    return c.json({ items, page, per_page, total, pages: pagesFor(total, per_page) }, 200);
  });
}
