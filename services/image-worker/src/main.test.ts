import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ImageProcessJob } from '@ipp/contracts';
import { createTestStorage, STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { createTestVhost, freePort, type ServiceProcess, startService, until } from '@ipp/platform/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestBroker, type Event, waitFor } from './testing/broker.ts';
import { serveBytes, startImageServer } from './testing/image-server.ts';
import { photoJpeg, pngDeclaring } from './testing/images.ts';
import { jobsOf } from './testing/jobs.ts';

let vhost: Awaited<ReturnType<typeof createTestVhost>>;
let broker: Awaited<ReturnType<typeof connectTestBroker>>;
let server: Awaited<ReturnType<typeof startImageServer>>;
let store: Awaited<ReturnType<typeof createTestStorage>>;
const workers: ServiceProcess[] = [];
let stuckRequests = 0;

/** The environment that points a worker at this run's storage. */
function storageEnv(): Record<string, string> {
  return store.server ? { STORAGE_DRIVER: 's3', ...store.server.env } : { STORAGE_DIR: store.root };
}

async function startWorker(env: Record<string, string> = {}) {
  const port = await freePort();
  const worker = await startService({
    entry: new URL('./main.ts', import.meta.url),
    env: {
      AMQP_URL: vhost.url,
      ...storageEnv(),
      WORKER_PORT: String(port),
      WORKER_CONCURRENCY: '2',
      FETCH_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8',
      PUBLIC_BASE_URL: 'http://localhost:5000',
      ...env,
    },
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
  });
  workers.push(worker);
  return { ...worker, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

const eventsFor = (batch: ImageProcessJob[]) => {
  const items = new Set(batch.map((job) => job.item_id));
  return broker.events.filter((event) => items.has(event.item_id));
};
const settled = (batch: ImageProcessJob[]) =>
  new Set(eventsFor(batch).map((event) => event.item_id)).size === batch.length;

/** Every item has exactly one output and one thumbnail on disk, whole, and one event id per item. */
async function expectExactlyOneOutputPerItem(batch: ImageProcessJob[]) {
  const folder = path.join(store.root, 'outputs', batch[0]?.request_id ?? '');
  const files = (await readdir(folder)).sort();
  const expected = batch.flatMap((job) => [`${job.item_id}.jpg`, `${job.item_id}.thumb.webp`]).sort();
  expect(files).toEqual(expected);
  for (const file of files) expect((await sharp(path.join(folder, file)).metadata()).width).toBeGreaterThan(0);
  const idsPerItem = new Map<string, Set<string>>();
  for (const event of eventsFor(batch)) {
    expect(event.type).toBe('image.processed');
    idsPerItem.set(event.item_id, (idsPerItem.get(event.item_id) ?? new Set()).add(event.message_id));
  }
  for (const ids of idsPerItem.values()) expect(ids.size).toBe(1);
}

async function consumed(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^image_jobs_consumed_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe.each(STORAGE_DRIVERS)('image worker process on %s storage', (driver) => {
  beforeAll(async () => {
    stuckRequests = 0;
    vhost = await createTestVhost('image_worker');
    broker = await connectTestBroker(vhost.url);
    store = await createTestStorage('image_worker_main', driver);
    const photo = await photoJpeg(600, 400, { orientation: 6 });
    server = await startImageServer({
      '/photo.jpg': serveBytes(photo, 'image/jpeg'),
      // Slow enough that a batch is still in flight when a worker is stopped.
      '/slow-photo.jpg': (_request, response) => {
        setTimeout(() => serveBytes(photo, 'image/jpeg')(_request, response), 250);
      },
      // Hangs on the first request only: a download still running when its worker is told to stop.
      '/stuck-once.jpg': (_request, response) => {
        stuckRequests += 1;
        if (stuckRequests > 1) serveBytes(photo, 'image/jpeg')(_request, response);
      },
      '/bomb.png': serveBytes(await pngDeclaring(20_000, 20_000), 'image/png'),
      '/page.html': serveBytes(Buffer.from('<html>oops</html>'), 'text/html'),
      '/to-metadata': (_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/' }).end(),
    });
  });

  afterAll(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await Promise.all([broker?.close(), server?.close()]);
    await vhost?.drop();
    await store?.close();
  });

  it('refuses to start on a bad setting, naming the variable', async () => {
    const error = await startService({
      entry: new URL('./main.ts', import.meta.url),
      env: { WORKER_CONCURRENCY: 'many', FETCH_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/99' },
      readyUrl: `http://127.0.0.1:${await freePort()}/health/live`,
    }).catch((failure: Error) => failure);
    expect(String(error)).toContain('exited with 1');
    expect(String(error)).toContain('WORKER_CONCURRENCY');
    expect(String(error)).toContain('FETCH_ALLOW_PRIVATE_NETWORKS');
  });

  it('is live but not ready without a broker or reachable storage, and names the storage setting once', async () => {
    const port = await freePort();
    const unreachable: Record<string, string> =
      driver === 's3'
        ? { ...storageEnv(), S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` }
        : { STORAGE_DIR: '/proc/no-such-dir' };
    const worker = await startService({
      entry: new URL('./main.ts', import.meta.url),
      env: {
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
        ...unreachable,
        WORKER_PORT: String(port),
      },
      readyUrl: `http://127.0.0.1:${port}/health/live`,
    });
    workers.push(worker);
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      checks: { rabbitmq: { status: 'down' }, storage: { status: 'down' } },
    });
    await until(() => worker.output().includes('storage unavailable'), { timeoutMs: 10_000 });
    const lines = worker
      .output()
      .split('\n')
      .filter((line) => line.includes('storage unavailable'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(driver === 's3' ? 'S3_ENDPOINT: cannot reach' : 'STORAGE_DIR: /proc/no-such-dir');
    expect(await worker.stop()).toBe(0);
  });

  it('processes URL and uploaded-file jobs into oriented outputs and image.processed events', async () => {
    const worker = await startWorker();
    const uploadKey = `uploads/${crypto.randomUUID()}.png`;
    await store.storage.put(
      uploadKey,
      await sharp({ create: { width: 50, height: 40, channels: 4, background: '#0f08' } })
        .png()
        .toBuffer(),
    );
    const batch = [
      ...jobsOf(1, () => ({ kind: 'url', url: server.url('/photo.jpg') })),
      ...jobsOf(1, () => ({ kind: 'file', key: uploadKey })),
    ];
    await broker.publish(batch);
    await waitFor(() => settled(batch), 15_000, 'both items');
    const [fromUrl, fromFile] = batch.map((job) => eventsFor([job])[0] as Event);
    expect(fromUrl).toMatchObject({ type: 'image.processed', width: 400, height: 600, format: 'jpeg' });
    expect(fromFile).toMatchObject({ type: 'image.processed', width: 50, height: 40, format: 'png' });
    expect(fromFile?.input_url).toBe(`http://localhost:5000/files/${uploadKey}`);
    await worker.stop();
  });

  it('fails each bad source with a permanent image.failed while the good ones complete', async () => {
    const worker = await startWorker();
    const paths = ['/photo.jpg', '/missing.jpg', '/page.html', '/bomb.png', '/to-metadata'];
    const batch = jobsOf(paths.length, (index) => ({ kind: 'url', url: server.url(paths[index] ?? '') }));
    batch.push(...jobsOf(1, () => ({ kind: 'url', url: 'http://[::ffff:169.254.169.254]/latest/meta-data/' })));
    await broker.publish(batch);
    await waitFor(() => settled(batch), 15_000, 'every item');
    const outcome = batch.map((job) => {
      const event = eventsFor([job])[0];
      return event?.type === 'image.failed' ? [event.code, event.permanent] : [event?.type];
    });
    expect(outcome).toEqual([
      ['image.processed'],
      ['source_not_found', true],
      ['not_an_image', true],
      ['too_many_pixels', true],
      ['blocked_address', true],
      ['blocked_address', true],
    ]);
    await worker.stop();
  });

  it('shares the queue between two workers and finishes in-flight jobs on SIGTERM, exiting 0', async () => {
    const [first, second] = await Promise.all([startWorker(), startWorker()]);
    expect(await broker.consumers()).toBe(2);
    const batch = jobsOf(10, () => ({ kind: 'url', url: server.url('/slow-photo.jpg') }));
    await broker.publish(batch);
    await waitFor(() => eventsFor(batch).length >= 2, 15_000, 'the first results');
    expect(await consumed(first.metricsUrl)).toBeGreaterThan(0);
    expect(await consumed(second.metricsUrl)).toBeGreaterThan(0);
    expect(await first.stop('SIGTERM')).toBe(0);
    await waitFor(() => settled(batch), 20_000, 'the whole batch');
    await expectExactlyOneOutputPerItem(batch);
    await second.stop();
  });

  it('on SIGTERM with a download stuck past the shutdown bound, exits 0 and leaves the job to the next worker', async () => {
    const stopping = await startWorker({ SHUTDOWN_TIMEOUT_MS: '3000', FETCH_TIMEOUT_MS: '60000' });
    const batch = jobsOf(1, () => ({ kind: 'url', url: server.url('/stuck-once.jpg') }));
    await broker.publish(batch);
    await waitFor(() => stuckRequests === 1, 10_000, 'the download to start');
    expect(await stopping.stop('SIGTERM')).toBe(0);
    expect(eventsFor(batch)).toEqual([]);
    const next = await startWorker();
    await waitFor(() => settled(batch), 15_000, 'the job on the next worker');
    expect(eventsFor(batch)[0]?.type).toBe('image.processed');
    await next.stop();
  });

  it('hands out output URLs on FILES_PUBLIC_BASE_URL when it is set (a CDN or public bucket)', async () => {
    const worker = await startWorker({ FILES_PUBLIC_BASE_URL: 'https://cdn.test/images/' });
    const batch = jobsOf(1, () => ({ kind: 'url', url: server.url('/photo.jpg') }));
    await broker.publish(batch);
    await waitFor(() => settled(batch), 15_000, 'the item');
    const [job] = batch;
    expect(eventsFor(batch)[0]).toMatchObject({
      type: 'image.processed',
      output_url: `https://cdn.test/images/outputs/${job?.request_id}/${job?.item_id}.jpg`,
      thumbnail_url: `https://cdn.test/images/outputs/${job?.request_id}/${job?.item_id}.thumb.webp`,
    });
    await worker.stop();
  });

  it('completes every job exactly once after a worker is SIGKILLed mid-batch and a new one starts', async () => {
    const doomed = await startWorker();
    const batch = jobsOf(12, () => ({ kind: 'url', url: server.url('/slow-photo.jpg') }));
    await broker.publish(batch);
    await waitFor(() => eventsFor(batch).length >= 3, 15_000, 'the first results');
    await doomed.stop('SIGKILL');
    expect(settled(batch)).toBe(false);
    await startWorker();
    await waitFor(() => settled(batch), 30_000, 'the whole batch');
    await expectExactlyOneOutputPerItem(batch);
  });

  if (driver === 's3') {
    it('retries the jobs that meet the S3 server stopped mid-batch: none lost, none stored twice, not ready meanwhile', async () => {
      const worker = await startWorker();
      const readyUrl = worker.metricsUrl.replace('/metrics', '/health/ready');
      const batch = jobsOf(12, () => ({ kind: 'url', url: server.url('/slow-photo.jpg') }));
      await broker.publish(batch);
      await waitFor(() => eventsFor(batch).length >= 2, 15_000, 'the first results');
      await store.server?.stop();
      await until(async () => (await fetch(readyUrl)).status === 503, { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await fetch(readyUrl)).status).toBe(503);
      expect(settled(batch)).toBe(false);
      await store.server?.start();
      await until(async () => (await fetch(readyUrl)).status === 200, { timeoutMs: 10_000 });
      await waitFor(() => settled(batch), 60_000, 'the whole batch');
      await expectExactlyOneOutputPerItem(batch);
      const text = await (await fetch(worker.metricsUrl)).text();
      expect(Number(/^image_jobs_retried_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0)).toBeGreaterThan(0);
      await worker.stop();
    });
  }
});
