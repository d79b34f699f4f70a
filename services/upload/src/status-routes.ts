import { Readable } from 'node:stream';
import { pagesFor, RequestIdSchema, UploadListQuerySchema } from '@ipp/contracts';
import { type AppEnv, AppError, validationError } from '@ipp/platform';
import { csvKey, type ObjectStorage } from '@ipp/platform/storage';
import type { Hono } from 'hono';
import type { Pool } from './database.ts';
import { writeOutputCsv } from './output-csv.ts';
import { findStatus, findSummary, isFinal, listSummaries } from './status-repository.ts';

function requestIdOf(value: string) {
  const parsed = RequestIdSchema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, 'request_id');
  return parsed.data;
}

const notFound = (requestId: string) => new AppError('not_found', `No upload request ${requestId}`);

/** Request status, the paginated list and the output CSV. */
export function mountStatusRoutes(
  app: Hono<AppEnv>,
  options: { pool: Pool; storage: ObjectStorage; publicBaseUrl: string },
) {
  const { pool, storage, publicBaseUrl } = options;

  const status = async (requestId: string) => {
    const found = await findStatus(pool, requestIdOf(requestId), publicBaseUrl);
    if (!found) throw notFound(requestId);
    return found;
  };
  app.get('/api/status/:request_id', async (c) => c.json(await status(c.req.param('request_id'))));
  app.get('/api/uploads/:request_id', async (c) => c.json(await status(c.req.param('request_id'))));

  app.get('/api/uploads', async (c) => {
    const query = UploadListQuerySchema.safeParse(c.req.query());
    if (!query.success) throw validationError(query.error);
    const { page, per_page } = query.data;
    const { items, total } = await listSummaries(pool, page, per_page, publicBaseUrl);
    return c.json({ items, page, per_page, total, pages: pagesFor(total, per_page) });
  });

  app.get('/api/uploads/:request_id/output.csv', async (c) => {
    const requestId = requestIdOf(c.req.param('request_id'));
    const summary = await findSummary(pool, requestId, publicBaseUrl);
    if (!summary) throw notFound(requestId);
    if (!isFinal(summary.status)) {
      throw new AppError('conflict', `Request ${requestId} is still ${summary.status}; the output CSV is not ready`);
    }
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', `attachment; filename="${requestId}.csv"`);
    const stored = await storage.get(csvKey(requestId));
    if (stored) return c.body(Readable.toWeb(stored.body) as unknown as ReadableStream);
    return c.body(await writeOutputCsv(pool, requestId, storage));
  });
}
