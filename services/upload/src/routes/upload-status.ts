import type { OpenAPIHono } from '@hono/zod-openapi';
import { getUploadRoute, getUploadStatusRoute } from '@ipp/contracts/routes';
import { type AppEnv, AppError } from '@ipp/platform';
import { callerOf } from '../caller.ts';
import type { Pool } from '../database.ts';
import { findStatus } from '../status-repository.ts';

/** `GET /api/status/{request_id}` and its alias `GET /api/uploads/{request_id}`: a request and its items. */
export function mountUploadStatus(api: OpenAPIHono<AppEnv>, options: { pool: Pool; publicBaseUrl: string }) {
  for (const route of [getUploadStatusRoute, getUploadRoute]) {
    api.openapi(route, async (c) => {
      const requestId = c.req.valid('param').request_id;
      const caller = callerOf((name) => c.req.header(name));
      const found = await findStatus(options.pool, requestId, options.publicBaseUrl, caller);
      if (!found) throw new AppError('not_found', `No upload request ${requestId}`);
      return c.json(found, 200);
    });
  }
}
