import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ImageFailedSchema, ImageProcessedSchema, type ImageProcessJob } from '@ipp/contracts';
import { createLogger, createMetrics } from '@ipp/platform';
import { parseNetworkPolicy } from '@ipp/platform/ssrf-guard';
import { createTestStorage, STORAGE_DRIVERS, type StorageDriver } from '@ipp/platform/storage/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSourceFetcher } from '../fetch-source.ts';
import { ProcessingError } from '../processing-error.ts';
import { serveBytes, startImageServer } from '../testing/image-server.ts';
import { photoJpeg } from '../testing/images.ts';
import { createWorkerMetrics } from '../worker-metrics.ts';
import { createJobHandler } from './image-jobs.ts';

const published: Array<{ routingKey: string; message: { message_id: string } }> = [];
const stores: Partial<Record<StorageDriver, Awaited<ReturnType<typeof createTestStorage>>>> = {};
const handlers: Partial<Record<StorageDriver, ReturnType<typeof createJobHandler>>> = {};
let server: Awaited<ReturnType<typeof startImageServer>>;
const fetcher = createSourceFetcher({
  policy: parseNetworkPolicy('127.0.0.0/8'),
  timeoutMs: 2000,
  maxBytes: 5_000_000,
  maxRedirects: 2,
});

beforeAll(async () => {
  const photo = await photoJpeg(640, 480);
  server = await startImageServer({
    '/photo.jpg': serveBytes(photo, 'image/jpeg'),
    '/page.html': serveBytes(Buffer.from('<html></html>'), 'image/jpeg'),
    '/down': (_request, response) => response.writeHead(503).end(),
  });
  for (const driver of STORAGE_DRIVERS) {
    const store = await createTestStorage('image_worker_handle', driver);
    stores[driver] = store;
    handlers[driver] = createJobHandler({
      download: fetcher.download,
      storage: store.storage,
      publish: async (_exchange, routingKey, message) => {
        published.push({ routingKey, message });
      },
      metrics: createWorkerMetrics(createMetrics('image-worker-test').registry),
      logger: createLogger({ service: 'image-worker-test', level: 'silent' }),
      fileUrl: (key) => `https://images.example.com/files/${key}`,
      maxPixels: 50_000_000,
      optimizeCoding: true,
      maxBytes: 5_000_000,
      concurrency: 2,
    });
  }
});
afterAll(async () => {
  await Promise.all([server.close(), fetcher.close(), ...Object.values(stores).map((store) => store.close())]);
});

function job(url: string, options: Partial<ImageProcessJob['options']> = {}): ImageProcessJob {
  return {
    message_id: crypto.randomUUID(),
    type: 'image.process',
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: crypto.randomUUID(),
    item_id: crypto.randomUUID(),
    source: { kind: 'url', url },
    options: { quality: 50, format: 'original', max_width: null, max_height: null, ...options },
    product: { id: 7, serial_number: 'SKU-1', name: 'Lamp' },
  };
}
const delivery = (attempt: number, finalAttempt = false) => ({
  attempt,
  finalAttempt,
  redelivered: false,
  headers: {},
});
const lastEvent = () => published.at(-1)?.message;

describe.each(STORAGE_DRIVERS)('createJobHandler on %s storage', (driver) => {
  const handle: ReturnType<typeof createJobHandler> = (job, delivery) =>
    (handlers[driver] as ReturnType<typeof createJobHandler>)(job, delivery);
  const storageDir = () => stores[driver]?.root as string;

  it('stores the output and thumbnail under the item key and publishes image.processed', async () => {
    const request = job(server.url('/photo.jpg'), { format: 'webp', max_width: 320 });
    await handle(request, delivery(1));
    const event = ImageProcessedSchema.parse(lastEvent());
    expect(event).toMatchObject({
      item_id: request.item_id,
      output_key: `outputs/${request.request_id}/${request.item_id}.webp`,
      output_url: `https://images.example.com/files/outputs/${request.request_id}/${request.item_id}.webp`,
      thumbnail_key: `outputs/${request.request_id}/${request.item_id}.thumb.webp`,
      width: 320,
      height: 240,
      format: 'webp',
      input_url: request.source.kind === 'url' ? request.source.url : '',
    });
    const file = path.join(storageDir(), event.output_key);
    expect(await sharp(file).metadata()).toMatchObject({ format: 'webp', width: 320 });
    expect((await stat(file)).size).toBe(event.output_bytes);
  });

  it('handles a redelivered job idempotently: the same keys, the same event id, one output', async () => {
    const request = job(server.url('/photo.jpg'));
    await handle(request, delivery(1));
    const first = lastEvent();
    await handle(request, { ...delivery(1), redelivered: true });
    expect(lastEvent()?.message_id).toBe(first?.message_id);
    expect(await readdir(path.join(storageDir(), 'outputs', request.request_id))).toEqual([
      `${request.item_id}.jpg`,
      `${request.item_id}.thumb.webp`,
    ]);
  });

  it('publishes a permanent image.failed for a bad source and resolves (acks)', async () => {
    const request = job(server.url('/page.html'));
    await handle(request, delivery(1));
    expect(ImageFailedSchema.parse(lastEvent())).toMatchObject({
      item_id: request.item_id,
      code: 'not_an_image',
      permanent: true,
    });
  });

  it('throws the retryable ProcessingError before the last attempt, for the consumer to retry', async () => {
    const count = published.length;
    const failure = await handle(job(server.url('/down')), delivery(2)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProcessingError);
    expect(failure).toMatchObject({ permanent: false });
    expect(published).toHaveLength(count);
  });

  it('reports a retryable failure as image.failed (permanent: false) on the last attempt', async () => {
    const request = job(server.url('/down'));
    await handle(request, delivery(5, true));
    expect(ImageFailedSchema.parse(lastEvent())).toMatchObject({ code: 'source_unavailable', permanent: false });
  });
});
