import type { ImageFailed, ImageProcessed, RequestStatus, WebhookPayload } from '@ipp/contracts';
import type { ObjectStorage } from '@ipp/platform/storage';
import { type Pool, transaction } from './database.ts';
import { writeOutputCsv } from './output-csv.ts';
import { outputCsvUrl } from './status-repository.ts';

export type ImageEvent = ImageProcessed | ImageFailed;

/**
 * The permanent `image.failed` the upload service makes itself, for an item whose worker will never report
 * (its job was dead-lettered, or it stalled); applied like a worker's. `message_id` defaults to a new one.
 */
export function failureOf(
  item: Pick<ImageFailed, 'request_id' | 'item_id' | 'product' | 'input_url'> & { message_id?: string },
  code: string,
  message: string,
): ImageFailed {
  return {
    message_id: item.message_id ?? crypto.randomUUID(),
    type: 'image.failed',
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: item.request_id,
    item_id: item.item_id,
    product: item.product,
    input_url: item.input_url,
    code,
    message,
    permanent: true,
  };
}
export type EventOutcome = 'applied' | 'completed' | 'duplicate' | 'unknown_item';

function finalStatus(total: number, failed: number): RequestStatus {
  if (failed === 0) return 'completed';
  return failed === total ? 'failed' : 'completed_with_errors';
}

/**
 * Applies a worker's result to its item and the request's counts. An item changes only from queued or
 * processing, so a redelivered event changes nothing twice. The event that finishes the last item sets the
 * final status, writes the output CSV and schedules the webhook, in the same transaction.
 */
export async function applyImageEvent(
  options: { pool: Pool; storage: ObjectStorage; publicBaseUrl: string },
  event: ImageEvent,
): Promise<EventOutcome> {
  return transaction(options.pool, async (client) => {
    // Locking the request serialises its events, so exactly one of them sees the last item finish.
    const locked = await client.query('SELECT id FROM upload.requests WHERE id = $1 FOR UPDATE', [event.request_id]);
    if (!locked.rowCount) return 'unknown_item';
    const done = event.type === 'image.processed';
    const item = done
      ? await client.query(
          `UPDATE upload.items SET status = 'done', output_url = $3, thumbnail_url = $4, input_bytes = $5, output_bytes = $6,
             error = NULL, updated_at = now()
           WHERE id = $1 AND request_id = $2 AND status IN ('queued', 'processing')`,
          [
            event.item_id,
            event.request_id,
            event.output_url,
            event.thumbnail_url,
            event.input_bytes,
            event.output_bytes,
          ],
        )
      : await client.query(
          `UPDATE upload.items SET status = 'failed', error = $3, updated_at = now()
           WHERE id = $1 AND request_id = $2 AND status IN ('queued', 'processing')`,
          [event.item_id, event.request_id, `${event.code}: ${event.message}`],
        );
    if (!item.rowCount) {
      const exists = await client.query('SELECT 1 FROM upload.items WHERE id = $1 AND request_id = $2', [
        event.item_id,
        event.request_id,
      ]);
      return exists.rowCount ? 'duplicate' : 'unknown_item';
    }
    const { rows } = await client.query<{ total: number; processed: number; failed: number }>(
      `UPDATE upload.requests SET processed = processed + $2, failed = failed + $3, status = 'processing', updated_at = now()
       WHERE id = $1 RETURNING total, processed, failed`,
      [event.request_id, done ? 1 : 0, done ? 0 : 1],
    );
    const counts = rows[0];
    if (!counts || counts.processed + counts.failed < counts.total) return 'applied';

    const status = finalStatus(counts.total, counts.failed);
    const completed = await client.query<{ completed_at: Date }>(
      'UPDATE upload.requests SET status = $2, completed_at = now() WHERE id = $1 RETURNING completed_at',
      [event.request_id, status],
    );
    await writeOutputCsv(client, event.request_id, options.storage);
    const payload: WebhookPayload = {
      type: 'upload.completed',
      request_id: event.request_id,
      status,
      ...counts,
      output_csv_url: outputCsvUrl(options.publicBaseUrl, event.request_id),
      completed_at: (completed.rows[0]?.completed_at ?? new Date()).toISOString(),
    };
    await client.query(
      "UPDATE upload.webhook_deliveries SET payload = $2, next_attempt_at = now(), updated_at = now() WHERE request_id = $1 AND status = 'pending'",
      [event.request_id, payload],
    );
    return 'completed';
  });
}
