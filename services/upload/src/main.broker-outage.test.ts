import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { QUEUES } from '@ipp/contracts';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startService,
  TEST_PREFIX,
  until,
} from '@ipp/platform/testing';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, csvForm } from './testing/harness.ts';
import { startProductStandIn } from './testing/product-stand-in.ts';

const run = promisify(execFile);

describe('upload service while RabbitMQ is unavailable', () => {
  // The service's broker (a vhost) does not exist when it starts: every connection attempt is refused.
  const vhost = `${TEST_PREFIX}_upload_outage_${randomBytes(3).toString('hex')}`;
  const amqpUrl = `amqp://guest:guest@127.0.0.1:5672/${vhost}`;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let productService: Awaited<ReturnType<typeof startProductStandIn>>;
  let storageDir: string;
  let service: ServiceProcess;
  let baseUrl: string;

  beforeAll(async () => {
    [database, productService] = await Promise.all([createTestDatabase('upload_outage'), startProductStandIn()]);
    storageDir = await mkdtemp(path.join(tmpdir(), 'ipp-upload-outage-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    service = await startService({
      entry: new URL('./main.ts', import.meta.url),
      readyUrl: `${baseUrl}/health/live`,
      env: {
        UPLOAD_PORT: String(port),
        DATABASE_URL: database.url,
        AMQP_URL: amqpUrl,
        STORAGE_DIR: storageDir,
        PRODUCT_SERVICE_URL: productService.url,
      },
    });
  });
  afterAll(async () => {
    await service?.stop();
    await productService?.close();
    await rm(storageDir, { recursive: true, force: true });
    await run('rabbitmqctl', ['-q', 'delete_vhost', vhost]).catch(() => undefined);
    await database?.drop();
  });

  it('stays ready and accepts uploads while the broker is away, and publishes the jobs once it is reachable', async () => {
    // Ready: taken out of a load balancer now, it would refuse the uploads its outbox exists to keep.
    expect((await fetch(`${baseUrl}/health/ready`)).status).toBe(200);
    const csv = `${CSV_HEADER}\nO1,Outage,"https://img.test/1.jpg,https://img.test/2.jpg"\nO2,Outage two,https://img.test/3.jpg\n`;
    const accepted = await fetch(`${baseUrl}/api/upload`, { method: 'POST', body: csvForm(csv) });
    expect(accepted.status).toBe(202);
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/upload_outbox_backlog\{[^}]*\} 3/);

    await run('rabbitmqctl', ['-q', 'add_vhost', vhost]);
    await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
    const connection = await amqplib.connect(amqpUrl);
    try {
      // The queue exists once the service has reconnected; asking for a missing one closes the channel.
      const jobsWaiting = async () => {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        return channel.checkQueue(QUEUES.jobs).then(
          ({ messageCount }) => channel.close().then(() => messageCount),
          () => -1,
        );
      };
      await until(async () => (await jobsWaiting()) === 3, { timeoutMs: 20_000 });
    } finally {
      await connection.close();
    }
    const after = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(after).toMatch(/upload_outbox_backlog\{[^}]*\} 0/);
  });
});
