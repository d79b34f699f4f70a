// A worker SIGKILLed in the middle of a batch, on each storage driver: the jobs it held go back to the queue,
// the worker started in its place finishes them, and every item ends with one output and one thumbnail stored.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadAcceptedSchema, UploadStatusSchema } from '@ipp/contracts';
import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { freePort, type ServiceProcess } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegWithExifOrientation } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';

const COUNT = 20;

describe.each(STORAGE_DRIVERS)('a worker killed mid-batch on %s storage', (driver) => {
  let stack: Stack;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let replacement: ServiceProcess | undefined;

  beforeAll(async () => {
    const photo = { body: await jpegWithExifOrientation(1600, 1200), type: 'image/jpeg' };
    images = await startImageServer(
      Object.fromEntries(Array.from({ length: COUNT }, (_, index) => [`/photo-${index}.jpg`, photo])),
    );
    stack = await startStack({
      label: 'e2e_worker_kill',
      storage: driver,
      services: ['product', 'upload', 'image-worker', 'gateway'],
      // One image at a time: the batch is still running, and the worker in the middle of a job, when it dies.
      env: { WORKER_CONCURRENCY: '1', WORKER_PREFETCH: '1' },
    });
  }, 120_000);
  afterAll(async () => {
    await replacement?.stop();
    await stack?.stop();
    await images?.close();
  });

  const status = async (requestId: string) =>
    UploadStatusSchema.parse(await (await fetch(`${stack.gatewayUrl}/api/status/${requestId}`)).json());

  it('completes every image once: the next worker redoes what the killed one held, nothing is stored twice', async () => {
    const rows = Array.from(
      { length: COUNT },
      (_, index) => `K-${index},Item ${index},${images.url}/photo-${index}.jpg`,
    );
    const form = new FormData();
    form.set('file', new Blob([['Serial Number,Product Name,Input Image Urls', ...rows].join('\n')]), 'batch.csv');
    const response = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const { request_id: requestId } = UploadAcceptedSchema.parse(await response.json());

    await until(async () => (await status(requestId)).processed >= 3, { timeoutMs: 60_000, intervalMs: 50 });
    expect(await stack.process('image-worker')?.stop('SIGKILL')).toBeNull();
    expect((await status(requestId)).processed).toBeLessThan(COUNT);
    const port = await freePort();
    replacement = await stack.startExtra(
      'image-worker',
      { WORKER_PORT: String(port) },
      `http://127.0.0.1:${port}/health/ready`,
    );

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
    for (const item of final.items) expect((await fetch(item.output_url ?? '')).status).toBe(200);
    const csv = await fetch(`${stack.gatewayUrl}/api/uploads/${requestId}/output.csv`);
    expect(csv.status).toBe(200);
    expect((await csv.text()).trim().split('\n')).toHaveLength(COUNT + 1);
  }, 300_000);
});
