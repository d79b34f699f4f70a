// A batch processed while PostgreSQL and RabbitMQ restart, their packets are dropped and workers are
// killed, at moments a seeded generator picks. `CHAOS=full` (run by CI) is the whole plan; the default,
// in `npm test`, a smaller one. `CHAOS_SEED=<n>` replays a run with the seed it printed.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ProductListSchema, UploadAcceptedSchema, UploadStatusSchema } from '@ipp/contracts';
import { freePort, type ServiceProcess, until } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, type Network } from './chaos/network.ts';
import { startPostgres } from './chaos/postgres-server.ts';
import { startRabbitmq } from './chaos/rabbitmq-node.ts';
import { seededRandom } from './chaos/random.ts';
import { watchReadiness } from './chaos/readiness-watch.ts';
import { webp } from './fixtures.ts';
import { type Stack, startStack } from './stack.ts';

const FULL = process.env.CHAOS === 'full';
// The full plan drops packets for longer than the query timeout (30 s) and two missed broker heartbeats
// (30 s), so hung connections must be timed out and replaced, not merely resumed.
const PLAN = FULL
  ? {
      images: 200,
      postgresRestarts: 5,
      brokerRestarts: ['app', 'node'],
      workerKills: 2,
      drops: ['db', 'broker'],
      dropMs: [35_000, 45_000],
    }
  : {
      images: 40,
      postgresRestarts: 2,
      brokerRestarts: ['app'],
      workerKills: 1,
      drops: ['db'],
      dropMs: [8_000, 20_000],
    };
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const IMAGES_PER_PRODUCT = 4;
/** How long a service may take to be ready again once its dependency is back. */
const RECOVERY_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Serves the same small WebP at any `/img-N.webp`, each answer held `delayMs`, so the batch outlasts the faults. */
async function startSlowImageServer(body: Buffer) {
  const state = { delayMs: 0 };
  const server = createServer(async (request, response) => {
    await sleep(state.delayMs);
    if (!/^\/img-\d+\.webp$/.test(request.url ?? '')) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'image/webp', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

type Outage = { name: string; from: number; to: number; affects: string[] };

describe(`the pipeline under chaos (${FULL ? 'full' : 'small'} plan, seed ${SEED})`, () => {
  const random = seededRandom(SEED);
  let network: Network;
  let postgres: Awaited<ReturnType<typeof startPostgres>>;
  let rabbitmq: Awaited<ReturnType<typeof startRabbitmq>>;
  let images: Awaited<ReturnType<typeof startSlowImageServer>>;
  let stack: Stack;
  const workers: { port: number; process: ServiceProcess }[] = [];

  beforeAll(async () => {
    console.log(`chaos: seed ${SEED} (replay with CHAOS_SEED=${SEED}${FULL ? ' CHAOS=full' : ''})`);
    network = await createNetwork();
    [postgres, rabbitmq] = await Promise.all([startPostgres(network), startRabbitmq(network)]);
    images = await startSlowImageServer(await webp(320, 240));
    stack = await startStack({
      label: 'e2e_chaos',
      services: ['product', 'upload', 'image-worker', 'health', 'gateway'],
      database: { url: postgres.url('image_processing'), drop: async () => undefined },
      broker: { url: rabbitmq.url, drop: async () => undefined },
      // One image at a time per worker, so that the held answers pace the batch.
      env: { WORKER_CONCURRENCY: '1', WORKER_PREFETCH: '1', LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn' },
    });
    const first = stack.process('image-worker');
    if (!first) throw new Error('no worker');
    workers.push({ port: Number(stack.env.WORKER_PORT), process: first });
    const port = await freePort();
    workers.push({ port, process: await startWorker(port) });
  }, 240_000);

  afterAll(async () => {
    for (const worker of workers.slice(1)) await worker.process.stop();
    // CHAOS_LOG_DIR=<dir> keeps every service's log of the run, to see what went wrong in a replay.
    const logDir = process.env.CHAOS_LOG_DIR;
    if (logDir && stack) {
      await mkdir(logDir, { recursive: true });
      for (const name of ['product', 'upload', 'health', 'gateway'] as const) {
        await writeFile(join(logDir, `${name}.log`), stack.process(name)?.output() ?? '');
      }
      for (const [index, worker] of workers.entries()) {
        await writeFile(join(logDir, `image-worker-${index}.log`), worker.process.output());
      }
    }
    await stack?.stop();
    await images?.close();
    await rabbitmq?.remove();
    await postgres?.remove();
    await network?.remove();
  }, 120_000);

  const startWorker = (port: number) =>
    stack.startExtra('image-worker', { WORKER_PORT: String(port) }, `http://127.0.0.1:${port}/health/live`);

  it('completes every image exactly once, no service exits, readiness follows each outage', async () => {
    const steady = {
      product: stack.process('product'),
      upload: stack.process('upload'),
      health: stack.process('health'),
      gateway: stack.process('gateway'),
    };
    const readiness = watchReadiness({
      product: `${stack.env.PRODUCT_SERVICE_URL}/health/ready`,
      upload: `${stack.env.UPLOAD_SERVICE_URL}/health/ready`,
      worker: `http://127.0.0.1:${workers[0]?.port}/health/ready`,
      platform: `${stack.gatewayUrl}/health/ready`,
    });
    // Who needs what to be ready: product and upload serve their APIs without the broker.
    const needDatabase = ['product', 'upload', 'platform'];
    const needBroker = ['worker', 'platform'];
    const allReady = () =>
      until(
        async () =>
          (
            await Promise.all(
              [
                stack.env.PRODUCT_SERVICE_URL,
                stack.env.UPLOAD_SERVICE_URL,
                ...workers.map((w) => `http://127.0.0.1:${w.port}`),
              ].map((base) =>
                fetch(`${base}/health/ready`).then(
                  (response) => response.ok,
                  () => false,
                ),
              ),
            )
          ).every(Boolean),
        { timeoutMs: RECOVERY_MS, intervalMs: 250 },
      );

    // The schedule: every fault once, in a seeded order, a seeded pause before each.
    const outages: Outage[] = [];
    const outage = async (
      name: string,
      affects: string[],
      down: () => Promise<void>,
      up: () => Promise<void>,
      downMs: number,
    ) => {
      const from = Date.now();
      await down();
      await sleep(downMs);
      await up();
      outages.push({ name, from, to: Date.now(), affects });
    };
    const faults: Array<() => Promise<void>> = [
      ...Array.from({ length: PLAN.postgresRestarts }, (_, i) => () => {
        const mode = i % 2 === 0 ? 'fast' : 'immediate';
        return outage(
          `postgres stop -m ${mode}`,
          needDatabase,
          () => postgres.stop(mode).then(() => undefined),
          () => postgres.start().then(() => undefined),
          random.between(1_500, 6_000),
        );
      }),
      ...PLAN.brokerRestarts.map(
        (kind) => () =>
          kind === 'app'
            ? outage('rabbitmq stop_app', needBroker, rabbitmq.stopApp, rabbitmq.startApp, random.between(2_000, 8_000))
            : outage(
                'rabbitmq node restart',
                needBroker,
                rabbitmq.stopNode,
                rabbitmq.startNode,
                random.between(1_000, 4_000),
              ),
      ),
      ...PLAN.drops.map((target) => () => {
        const port = target === 'db' ? postgres.port : rabbitmq.port;
        return outage(
          `${target === 'db' ? 'postgres' : 'rabbitmq'} packets dropped`,
          target === 'db' ? needDatabase : needBroker,
          () => network.drop(port),
          () => network.restore(port),
          random.between(PLAN.dropMs[0] ?? 0, PLAN.dropMs[1] ?? 0),
        );
      }),
      ...Array.from({ length: PLAN.workerKills }, () => async () => {
        const worker = workers[random.between(0, workers.length - 1)];
        if (!worker) return;
        worker.process.child.kill('SIGKILL');
        await until(() => worker.process.child.exitCode !== null || worker.process.child.signalCode !== null);
        worker.process = await startWorker(worker.port);
      }),
    ];
    const schedule = random.shuffle(faults);

    // Held long enough that the batch is still running when the last fault begins; released after it.
    images.state.delayMs = 2_500;
    const rows = Array.from({ length: PLAN.images / IMAGES_PER_PRODUCT }, (_, product) => {
      const urls = Array.from(
        { length: IMAGES_PER_PRODUCT },
        (_, n) => `${images.url}/img-${product * IMAGES_PER_PRODUCT + n}.webp`,
      );
      return `CHAOS-${product},Chaos product ${product},"${urls.join(',')}"`;
    });
    const form = new FormData();
    form.set(
      'file',
      new Blob([['Serial Number,Product Name,Input Image Urls', ...rows].join('\n')], { type: 'text/csv' }),
      'chaos.csv',
    );
    const accepted = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
    expect(accepted.status).toBe(202);
    const { request_id: requestId } = UploadAcceptedSchema.parse(await accepted.json());
    const status = async () =>
      UploadStatusSchema.parse(await (await fetch(`${stack.gatewayUrl}/api/status/${requestId}`)).json());

    for (const fault of schedule) {
      await sleep(random.between(1_000, 4_000));
      await fault();
      await allReady();
    }
    const beforeRelease = await status();
    expect(beforeRelease.status, 'the batch was still running when the last fault ended').toBe('processing');
    images.state.delayMs = 0;

    const done = await until(
      async () => {
        const current = await status().catch(() => undefined);
        return current && current.status !== 'processing' && current.status !== 'queued' ? current : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    await readiness.stop();
    const seed = `seed ${SEED}`;

    // Every image processed once: completed, each item its own output, stored once under its key.
    expect(done, seed).toMatchObject({ status: 'completed', total: PLAN.images, processed: PLAN.images, failed: 0 });
    const outputs = done.items.map((item) => item.output_url);
    expect(new Set(outputs).size, seed).toBe(PLAN.images);
    const stored = await readdir(join(stack.storageDir, 'outputs', requestId));
    expect(stored.filter((name) => !name.includes('.thumb.')).length, seed).toBe(PLAN.images);
    const sample = await fetch(outputs[0] ?? '');
    expect(sample.status).toBe(200);

    // Each attached to its product once. The product service consumes its copy of the events on its own
    // queue, and may still be working through a backlog (or a retry delay) when the upload completes.
    const imagesOf = async (product: number) => {
      const list = ProductListSchema.parse(
        await (await fetch(`${stack.gatewayUrl}/api/products?search=CHAOS-${product}&per_page=100`)).json(),
      );
      const found = list.items.find((item) => item.serial_number === `CHAOS-${product}`);
      return found?.images.map((image) => image.input_url) ?? [];
    };
    const products = Array.from({ length: PLAN.images / IMAGES_PER_PRODUCT }, (_, product) => product);
    await until(
      async () => (await Promise.all(products.map(imagesOf))).every((inputs) => inputs.length >= IMAGES_PER_PRODUCT),
      { timeoutMs: 180_000, intervalMs: 1_000 },
    ).catch(() => undefined);
    for (const product of products) {
      const inputs = await imagesOf(product);
      expect(inputs.length, `${seed}: images of CHAOS-${product}`).toBe(IMAGES_PER_PRODUCT);
      expect(new Set(inputs).size, seed).toBe(IMAGES_PER_PRODUCT);
    }

    // The output CSV complete: every row with every output URL.
    const csv = await (await fetch(`${stack.gatewayUrl}/api/uploads/${requestId}/output.csv`)).text();
    for (const url of outputs) expect(csv, seed).toContain(url ?? 'missing');

    // No service process exited, killed workers aside.
    for (const [name, service] of Object.entries(steady)) {
      expect(service?.child.exitCode ?? service?.child.signalCode ?? null, `${seed}: ${name} exited`).toBeNull();
    }

    // Readiness went 503 during each outage and came back after it.
    for (const { name, from, to, affects } of outages) {
      for (const service of affects) {
        expect(readiness.wentDown(service, from, to), `${seed}: ${service} stayed ready during ${name}`).toBe(true);
        const upAt = readiness.upAgainAt(service, to);
        expect(upAt, `${seed}: ${service} not ready after ${name}`).toBeDefined();
        expect((upAt ?? Infinity) - to, `${seed}: ${service} slow to recover from ${name}`).toBeLessThan(RECOVERY_MS);
      }
    }
  }, 1_200_000);
});
