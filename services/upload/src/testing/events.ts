import type { ImageFailed, ImageProcessed } from '@ipp/contracts';
import { failureOf } from '../apply-image-event.ts';

type Item = { id: string; request_id: string; serial_number: string; input_url: string };

/** The `image.processed` event a worker publishes for an item. */
export function processedEvent(
  item: Item,
  outputUrl = `http://files.test/files/outputs/${item.id}.jpg`,
): ImageProcessed {
  return {
    message_id: crypto.randomUUID(),
    type: 'image.processed',
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: item.request_id,
    item_id: item.id,
    product: { id: 1, serial_number: item.serial_number },
    input_url: item.input_url,
    output_key: `outputs/${item.id}.jpg`,
    output_url: outputUrl,
    thumbnail_key: `outputs/${item.id}.thumb.webp`,
    thumbnail_url: `http://files.test/files/outputs/${item.id}.thumb.webp`,
    width: 10,
    height: 10,
    format: 'jpeg',
    input_bytes: 2000,
    output_bytes: 1000,
  };
}

/** The `image.failed` event a worker publishes for an item. */
export function failedEvent(item: Item): ImageFailed {
  const { id, request_id, serial_number, input_url } = item;
  return failureOf(
    { request_id, item_id: id, product: { id: 1, serial_number }, input_url },
    'not_an_image',
    'the source is not an image',
  );
}

export async function itemsOf(
  pool: { query: (sql: string, values: unknown[]) => Promise<{ rows: Item[] }> },
  requestId: string,
) {
  const { rows } = await pool.query(
    'SELECT id, request_id, serial_number, input_url FROM upload.items WHERE request_id = $1 ORDER BY row_number, position',
    [requestId],
  );
  return rows;
}
