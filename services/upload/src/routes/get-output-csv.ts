import { Readable } from 'node:stream';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { getOutputCsvRoute } from '@ipp/contracts/routes';
import { type AppEnv, AppError } from '@ipp/platform';
import { csvKey, type ObjectStorage } from '@ipp/platform/storage';
import { callerOf } from '../caller.ts';
import { type Pool, transaction } from '../database.ts';
import { writeOutputCsv } from '../output-csv.ts';
import { findSummary, isFinal } from '../status-repository.ts';

/** `GET /api/uploads/{request_id}/output.csv`: the input rows plus their output URLs, once the request is final. */
export function mountGetOutputCsv(
  api: OpenAPIHono<AppEnv>,
  options: { pool: Pool; storage: ObjectStorage; publicBaseUrl: string },
) {
  const { pool, storage, publicBaseUrl } = options;
  api.openapi(getOutputCsvRoute, async (c) => {
    const requestId = c.req.valid('param').request_id;
    const summary = await findSummary(
      pool,
      requestId,
      publicBaseUrl,
      callerOf((name) => c.req.header(name)),
    );
    if (!summary) throw new AppError('not_found', `No upload request ${requestId}`);
    if (!isFinal(summary.status)) {
      throw new AppError('conflict', `Request ${requestId} is still ${summary.status}; the output CSV is not ready`);
    }
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', `attachment; filename="${requestId}.csv"`);
    // Written when the request finished; written again here if that write was lost (storage away then).
    let stored = await storage.get(csvKey(requestId));
    if (!stored) {
      if (!(await rewriteOutputCsv(pool, requestId, storage))) {
        throw new AppError('not_found', `No upload request ${requestId}`);
      }
      stored = await storage.get(csvKey(requestId));
    }
    if (!stored) throw new Error(`output CSV of ${requestId} missing right after it was written`);
    return c.body(Readable.toWeb(stored.body) as unknown as ReadableStream, 200);
  });
}

/**
 * Writes the output CSV again under a share lock of its request, unless its deletion has begun: a DELETE that
 * marks the request meanwhile waits for the write and then removes the CSV with the rest (the deletion sweep
 * passes a locked request over until a later round), so no CSV outlives its request. False when it is being deleted.
 */
function rewriteOutputCsv(pool: Pool, requestId: string, storage: ObjectStorage) {
  return transaction(pool, async (client) => {
    const { rowCount } = await client.query(
      'SELECT 1 FROM upload.requests WHERE id = $1 AND deleting_since IS NULL FOR SHARE',
      [requestId],
    );
    if (!rowCount) return false;
    await writeOutputCsv(client, requestId, storage);
    return true;
  });
}
