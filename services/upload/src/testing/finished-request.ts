import { csvKey, outputKeys } from '@ipp/platform/storage';
import sharp from 'sharp';
import { applyImageEvent } from '../apply-image-event.ts';
import { processedEvent } from './events.ts';
import { type Harness, PUBLIC_BASE_URL } from './harness.ts';

/**
 * Uploads `count` image files and finishes them as a worker would: every output and thumbnail stored, the
 * results applied (which writes the output CSV). Returns the request and every key it stored.
 */
export async function finishedRequest(harness: Harness, count = 2) {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0a0' } })
    .png()
    .toBuffer();
  const form = new FormData();
  form.set('serial_number', 'DEL-1');
  form.set('name', 'Deleted desk');
  for (let index = 0; index < count; index += 1) form.append('images', new Blob([png], { type: 'image/png' }), 'a.png');
  const accepted = await harness.upload(form);
  if (accepted.status !== 202) throw new Error(`upload answered ${accepted.status}`);
  const requestId: string = accepted.body.request_id;
  const { rows } = await harness.pool.query<{
    id: string;
    source_key: string;
    serial_number: string;
    input_url: string;
  }>('SELECT id, source_key, serial_number, input_url FROM upload.items WHERE request_id = $1', [requestId]);
  const keys = rows.map((item) => item.source_key);
  for (const item of rows) {
    const { output, thumbnail } = outputKeys(requestId, item.id, 'png');
    await harness.storage.put(output, png);
    await harness.storage.put(thumbnail, png);
    keys.push(output, thumbnail);
    await applyImageEvent(
      { pool: harness.pool, storage: harness.storage, publicBaseUrl: PUBLIC_BASE_URL },
      processedEvent({ ...item, request_id: requestId }),
    );
  }
  keys.push(csvKey(requestId));
  return { requestId, keys };
}

/** The keys of `keys` still stored. */
export async function storedKeys(harness: Harness, keys: string[]) {
  const found = await Promise.all(keys.map(async (key) => ((await harness.storage.head(key)) ? key : undefined)));
  return found.filter((key) => key !== undefined);
}
