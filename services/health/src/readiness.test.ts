import { freePort, type ServiceProcess, startService } from '@ipp/platform/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresCluster } from './testing/postgres.ts';
import { createRabbitNode } from './testing/rabbitmq.ts';
import { startReplica } from './testing/replica.ts';

let cluster: Awaited<ReturnType<typeof createPostgresCluster>>;
let broker: Awaited<ReturnType<typeof createRabbitNode>>;
let service: ServiceProcess;
let replica: Awaited<ReturnType<typeof startReplica>>;
let readyUrl: string;

/** Polls readiness until it answers `status`; bounded so a readiness that never flips fails the test. */
async function readinessBecomes(status: number, withinMs: number) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const response = await fetch(readyUrl);
    const last = { status: response.status, body: (await response.json()) as unknown };
    if (last.status === status || Date.now() > deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Both throwaway servers start at once; a RabbitMQ node takes several seconds to boot.
beforeAll(async () => {
  const [pgPort, amqpPort, distributionPort, port] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  [cluster, broker, replica] = await Promise.all([
    createPostgresCluster(pgPort),
    createRabbitNode(amqpPort, distributionPort),
    startReplica('1'),
  ]);
  await Promise.all([cluster.start(), broker.start()]);
  readyUrl = `http://127.0.0.1:${port}/health/ready`;
  service = await startService({
    entry: new URL('./main.ts', import.meta.url),
    readyUrl: `http://127.0.0.1:${port}/health/live`,
    env: {
      HEALTH_PORT: String(port),
      DATABASE_URL: cluster.url,
      AMQP_URL: broker.url,
      GATEWAY_ADMIN_URL: replica.url,
      PRODUCT_SERVICE_URL: replica.url,
      UPLOAD_SERVICE_URL: replica.url,
      IMAGE_WORKER_URL: replica.url,
      HEALTH_CACHE_MS: '200',
      HEALTH_CHECK_TIMEOUT_MS: '1000',
    },
  });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await Promise.all([cluster?.destroy(), broker?.destroy(), replica?.close()]);
}, 60_000);

it('flips readiness to 503 within seconds when PostgreSQL stops, and back to 200 when it returns', async () => {
  expect(await readinessBecomes(200, 5000)).toMatchObject({
    status: 200,
    body: { checks: { database: { status: 'ok' } } },
  });

  await cluster.stop();
  expect(await readinessBecomes(503, 5000)).toMatchObject({
    status: 503,
    body: { checks: { database: { status: 'down' } } },
  });

  await cluster.start();
  expect(await readinessBecomes(200, 5000)).toMatchObject({
    status: 200,
    body: { checks: { database: { status: 'ok' } } },
  });
}, 60_000);

it('flips readiness to 503 within seconds when RabbitMQ stops, and back to 200 when it returns', async () => {
  expect(await readinessBecomes(200, 5000)).toMatchObject({
    status: 200,
    body: { checks: { rabbitmq: { status: 'ok' } } },
  });

  await broker.stop();
  expect(await readinessBecomes(503, 5000)).toMatchObject({
    status: 503,
    body: { checks: { rabbitmq: { status: 'down' } } },
  });

  await broker.start();
  expect(await readinessBecomes(200, 5000)).toMatchObject({
    status: 200,
    body: { checks: { rabbitmq: { status: 'ok' } } },
  });
}, 60_000);
