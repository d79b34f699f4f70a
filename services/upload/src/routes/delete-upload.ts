import type { OpenAPIHono } from '@hono/zod-openapi';
import { deleteUploadRoute } from '@ipp/contracts/routes';
import { type AppEnv, AppError, isDatabaseUnavailable } from '@ipp/platform';
import type { ObjectStorage } from '@ipp/platform/storage';
import { callerOf } from '../caller.ts';
import type { Pool } from '../database.ts';
import { deleteRequest } from '../request-deletion.ts';

/** `DELETE /api/uploads/{request_id}`: a finished request, its items and every object it stored. */
export function mountDeleteUpload(api: OpenAPIHono<AppEnv>, options: { pool: Pool; storage: ObjectStorage }) {
  api.openapi(deleteUploadRoute, async (c) => {
    const requestId = c.req.valid('param').request_id;
    const caller = callerOf((name) => c.req.header(name));
    const outcome = await deleteRequest(options, requestId, caller).catch((error: unknown) => {
      if (error instanceof AppError || isDatabaseUnavailable(error)) throw error;
      // The request is marked and hidden already; the sweep (or a retry) removes what is left.
      c.get('log').warn({ err: error, request_id: requestId }, 'upload request deletion unfinished');
      throw new AppError('unavailable', 'The stored files could not all be deleted yet; retry shortly', {
        cause: error,
        headers: { 'retry-after': '5' },
      });
    });
    if (outcome === 'not_found') throw new AppError('not_found', `No upload request ${requestId}`);
    if (outcome === 'unfinished') {
      throw new AppError('conflict', `Request ${requestId} is still processing; delete it once it has finished`);
    }
    return c.body(null, 204);
  });
}
