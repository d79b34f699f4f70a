import { freePort, type ServiceProcess, startService } from '@ipp/platform/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresCluster } from './test-postgres.ts';
import { startReplica } from './test-replica.ts';

let cluster: Awaited<ReturnType<typeof createPostgresCluster>>;
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

beforeAll(async () => {
  const [pgPort, port] = await Promise.all([freePort(), freePort()]);
  [cluster, replica] = await Promise.all([createPostgresCluster(pgPort), startReplica('1')]);
  await cluster.start();
  readyUrl = `http://127.0.0.1:${port}/health/ready`;
  service = await startService({
    entry: new URL('./main.ts', import.meta.url),
    readyUrl: `http://127.0.0.1:${port}/health/live`,
    env: {
      HEALTH_PORT: String(port),
      DATABASE_URL: cluster.url,
      GATEWAY_ADMIN_URL: replica.url,
      PRODUCT_SERVICE_URL: replica.url,
      UPLOAD_SERVICE_URL: replica.url,
      IMAGE_WORKER_URL: replica.url,
      HEALTH_CACHE_MS: '200',
      HEALTH_CHECK_TIMEOUT_MS: '1000',
    },
  });
});

afterAll(async () => {
  await service?.stop();
  await Promise.all([cluster?.destroy(), replica?.close()]);
});

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
