// The S3 server stops for a few seconds in the middle of a batch: the upload service and the worker report
// not ready while it is away, the jobs and events that meet it are retried, and the batch completes with
// every output stored once and its output CSV written.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadAcceptedSchema, UploadStatusSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegWithExifOrientation } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';

const COUNT = 30;

describe('a batch while the S3 server stops for a few seconds', () => {
  let stack: Stack;
  let images: Awaited<ReturnType<typeof startImageServer>>;

  beforeAll(async () => {
    const photo = { body: await jpegWithExifOrientation(1600, 1200), type: 'image/jpeg' };
    images = await startImageServer(
      Object.fromEntries(Array.from({ length: COUNT }, (_, index) => [`/photo-${index}.jpg`, photo])),
    );
    stack = await startStack({
      label: 'e2e_s3_outage',
      storage: 's3',
      services: ['product', 'upload', 'image-worker', 'gateway'],
      // One image at a time: the batch is still running when the S3 server stops.
      env: { WORKER_CONCURRENCY: '1', WORKER_PREFETCH: '1' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await images?.close();
  });

  const status = async (requestId: string) =>
    UploadStatusSchema.parse(await (await fetch(`${stack.gatewayUrl}/api/status/${requestId}`)).json());
  const readiness = async () =>
    Promise.all(
      [stack.env.UPLOAD_SERVICE_URL, stack.env.IMAGE_WORKER_URL].map(
        async (url) => (await fetch(`${url}/health/ready`)).status,
      ),
    );

  it('retries what met it away, loses nothing, stores nothing twice, and is not ready meanwhile', async () => {
    const rows = Array.from(
      { length: COUNT },
      (_, index) => `S3-${index},Item ${index},${images.url}/photo-${index}.jpg`,
    );
    const form = new FormData();
    form.set('file', new Blob([['Serial Number,Product Name,Input Image Urls', ...rows].join('\n')]), 'batch.csv');
    const response = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const { request_id: requestId } = UploadAcceptedSchema.parse(await response.json());

    await until(async () => (await status(requestId)).processed >= 3, { timeoutMs: 60_000, intervalMs: 50 });
    await stack.s3?.stop();
    const processedAtStop = (await status(requestId)).processed;
    expect(processedAtStop).toBeLessThan(COUNT);
    await until(async () => (await readiness()).every((code) => code === 503), { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await readiness()).toEqual([503, 503]);
    await stack.s3?.start();
    await until(async () => (await readiness()).every((code) => code === 200), { timeoutMs: 15_000 });

    const final = await until(
      async () => {
        const current = await status(requestId);
        return current.status === 'queued' || current.status === 'processing' ? undefined : current;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    expect(final).toMatchObject({ status: 'completed', total: COUNT, processed: COUNT, failed: 0 });
    const stored = (await readdir(join(stack.storageDir, 'outputs', requestId))).sort();
    const expected = final.items.flatMap((item) => {
      const name = (item.output_url ?? '').split('/').at(-1) ?? '';
      return [name, name.replace(/\.jpg$/, '.thumb.webp')];
    });
    expect(stored).toEqual(expected.sort());
    // The worker met the outage: at least one job went back for another attempt.
    const metrics = await (await fetch(`${stack.env.IMAGE_WORKER_URL}/metrics`)).text();
    expect(Number(/^image_jobs_retried_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
    const csv = await fetch(`${stack.gatewayUrl}/api/uploads/${requestId}/output.csv`);
    expect(csv.status).toBe(200);
    expect((await csv.text()).trim().split('\n')).toHaveLength(COUNT + 1);
  }, 300_000);
});
