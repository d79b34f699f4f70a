import { HealthDetailedSchema, HealthSummarySchema, ProbeSchema, QUEUES } from '@ipp/contracts';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type ServiceProcess,
  startService,
} from '@ipp/platform/testing';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica } from './testing/replica.ts';

const CACHE_MS = 300;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let vhost: Awaited<ReturnType<typeof createTestVhost>>;
let broker: ChannelModel;
let service: ServiceProcess;
let base: string;
let replicas: Record<
  'gateway' | 'product1' | 'product2' | 'upload' | 'worker',
  Awaited<ReturnType<typeof startReplica>>
>;

async function get(path: string) {
  const response = await fetch(`${base}${path}`);
  // biome-ignore lint/suspicious/noExplicitAny: bodies of several shapes, each checked by the assertions
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** The next snapshot, once the cached one has expired. */
async function fresh(path: string) {
  await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 50));
  return get(path);
}

beforeAll(async () => {
  [database, vhost] = await Promise.all([createTestDatabase('health'), createTestVhost('health')]);
  broker = await amqp.connect(vhost.url);
  const channel = await broker.createChannel();
  for (const queue of Object.values(QUEUES)) await channel.assertQueue(queue, { durable: true });
  await channel.consume(QUEUES.jobs, () => undefined);
  const [gateway, product1, product2, upload, worker] = await Promise.all([
    startReplica('gw-1'),
    startReplica('product-1'),
    startReplica('product-2'),
    startReplica('upload-1', { storage: { driver: 's3', latencyMs: 4 } }),
    startReplica('worker-1', { storage: { driver: 's3', latencyMs: 7 } }),
  ]);
  replicas = { gateway, product1, product2, upload, worker } as typeof replicas;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = await startService({
    entry: new URL('./main.ts', import.meta.url),
    readyUrl: `${base}/health/live`,
    env: {
      HEALTH_PORT: String(port),
      DATABASE_URL: database.url,
      AMQP_URL: vhost.url,
      STORAGE_DIR: '/tmp',
      GATEWAY_ADMIN_URL: replicas.gateway.url,
      PRODUCT_SERVICE_URL: `${replicas.product1.url},${replicas.product2.url}`,
      UPLOAD_SERVICE_URL: replicas.upload.url,
      IMAGE_WORKER_URL: replicas.worker.url,
      HEALTH_CACHE_MS: String(CACHE_MS),
      HEALTH_BACKLOG_THRESHOLD: '2',
    },
  });
});

afterAll(async () => {
  await service?.stop();
  await broker?.close();
  await Promise.all([
    ...Object.values(replicas ?? {}).map((replica) => replica.close()),
    database?.drop(),
    vhost?.drop(),
  ]);
});

describe('health aggregator', () => {
  it('reports ok with every check, every replica with its version, and every queue with its consumers', async () => {
    const { status, body } = await get('/health/detailed');
    expect(body.reasons).toEqual([]);
    expect(status).toBe(200);
    const detailed = HealthDetailedSchema.parse(body);
    expect(detailed.status).toBe('ok');
    expect(detailed.checks.database.status).toBe('ok');
    expect(detailed.checks.database.pool?.total).toBeGreaterThan(0);
    expect(detailed.checks.services.product.replicas?.map((replica) => replica.version)).toEqual([
      'product-1',
      'product-2',
    ]);
    expect(detailed.checks.services.gateway.version).toBe('gw-1');
    expect(detailed.checks.storage).toEqual({ status: 'ok', latency_ms: 7, driver: 's3' });
    expect(detailed.checks.queues.queues[QUEUES.jobs]).toEqual({ messages: 0, consumers: 1 });
    expect(Object.keys(detailed.checks.queues.queues).sort()).toEqual(Object.values(QUEUES).sort());
    expect(detailed.checks.system.cpu.cores).toBeGreaterThan(0);
    expect(detailed.checks.system.memory.used_bytes).toBeGreaterThan(0);
    expect(detailed.checks.system.disk).toMatchObject({ path: '/tmp' });
    expect(detailed.checks.system.disk.total_bytes).toBeGreaterThan(detailed.checks.system.disk.used_bytes);

    const summary = await get('/health');
    expect(HealthSummarySchema.parse(summary.body)).toMatchObject({ status: 'ok', version: expect.any(String) });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ProbeSchema.parse(ready.body).checks?.database?.status).toBe('ok');
  });

  it('runs one round of checks for a flood of concurrent probes', async () => {
    await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 50));
    const before = replicas.upload.probes;
    const responses = await Promise.all(Array.from({ length: 40 }, () => get('/health/ready')));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(replicas.upload.probes - before).toBe(1);
  });

  it('is degraded, still 200, when the gateway or one replica of a service is not ready', async () => {
    replicas.gateway.ready = false;
    replicas.product2.ready = false;
    const { status, body } = await fresh('/health/detailed');
    replicas.gateway.ready = true;
    replicas.product2.ready = true;
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.checks.services.gateway.status).toBe('down');
    expect(body.checks.services.product.status).toBe('degraded');
    expect(body.reasons).toEqual([
      expect.stringMatching(/^gateway down: .*ready answered 503/),
      expect.stringMatching(/^product degraded: /),
    ]);
  });

  it('is degraded when no worker consumes jobs or a queue backlog passes the threshold', async () => {
    // Closing the connection that holds the only consumer of the jobs queue: no worker is left.
    await broker.close();
    broker = await amqp.connect(vhost.url);
    const channel = await broker.createChannel();
    for (let n = 0; n < 3; n += 1) channel.sendToQueue(QUEUES.uploadEvents, Buffer.from('{}'));
    await channel.close();
    const { status, body } = await fresh('/health/detailed');
    expect(status).toBe(200);
    expect(body.checks.queues.status).toBe('degraded');
    expect(body.checks.queues.queues[QUEUES.uploadEvents].messages).toBe(3);
    expect(body.reasons).toEqual([expect.stringContaining(`no image worker consuming ${QUEUES.jobs}`)]);
    expect(body.reasons[0]).toContain(`${QUEUES.uploadEvents} backlog 3 above 2`);
  });

  it('is down (503) when a critical service has no ready replica, and live stays 200', async () => {
    replicas.upload.ready = false;
    const detailed = await fresh('/health/detailed');
    const summary = await get('/health');
    const ready = await get('/health/ready');
    const live = await get('/health/live');
    replicas.upload.ready = true;
    expect(detailed.status).toBe(503);
    expect(detailed.body.reasons).toContainEqual(expect.stringMatching(/^upload down: /));
    // The upload replica's storage check failed, the worker's passed.
    expect(detailed.body.checks.storage).toEqual({
      status: 'degraded',
      latency_ms: 7,
      driver: 's3',
      error: 'connect ECONNREFUSED',
    });
    expect(summary).toMatchObject({ status: 503, body: { status: 'down' } });
    expect(ready).toMatchObject({ status: 503, body: { status: 'down', checks: { upload: { status: 'down' } } } });
    expect(live).toMatchObject({ status: 200, body: { status: 'ok', service: 'health' } });
  });

  it('exports the latest snapshot as Prometheus gauges', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^health_status\{service="health"\} [0-2]$/m);
    expect(text).toMatch(/^health_check_status\{check="database",service="health"\} 0$/m);
    expect(text).toMatch(new RegExp(`^health_queue_consumers\\{queue="${QUEUES.jobs}",service="health"\\} \\d$`, 'm'));
  });
});
