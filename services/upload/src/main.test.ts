import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXCHANGES, ImageProcessJobSchema, QUEUES, ROUTING_KEYS } from '@ipp/contracts';
import { createTestStorage, STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type ServiceProcess,
  startService,
  until,
} from '@ipp/platform/testing';
import amqplib from 'amqplib';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedEvent } from './testing/events.ts';
import { CSV_HEADER, csvForm } from './testing/harness.ts';
import { startProductService } from './testing/product-service.ts';

const SECRET = `whsec_${Buffer.from('the upload service test secret').toString('base64')}`;
const entry = new URL('./main.ts', import.meta.url);

describe.each(STORAGE_DRIVERS)('upload service process on %s storage', (driver) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let productService: Awaited<ReturnType<typeof startProductService>>;
  let store: Awaited<ReturnType<typeof createTestStorage>>;
  let service: ServiceProcess;
  let baseUrl: string;
  let receiver: Server;
  const hooks: Array<{ headers: Record<string, string>; body: string }> = [];

  beforeAll(async () => {
    [database, vhost] = await Promise.all([createTestDatabase('upload_main'), createTestVhost('upload_main')]);
    productService = await startProductService({ databaseUrl: database.url, amqpUrl: vhost.url });
    store = await createTestStorage('upload_main', driver);
    receiver = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      hooks.push({ headers: request.headers as Record<string, string>, body: Buffer.concat(chunks).toString() });
      response.writeHead(200).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    service = await startService({
      entry,
      readyUrl: `${baseUrl}/health/ready`,
      env: {
        UPLOAD_PORT: String(port),
        DATABASE_URL: database.url,
        AMQP_URL: vhost.url,
        ...(store.server ? { STORAGE_DRIVER: 's3', ...store.server.env } : { STORAGE_DIR: store.root }),
        PUBLIC_BASE_URL: 'http://public.test',
        PRODUCT_SERVICE_URL: productService.url,
        WEBHOOK_SECRET: SECRET,
        FETCH_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32',
      },
    });
  });
  afterAll(async () => {
    await service?.stop();
    receiver?.close();
    await productService?.stop();
    await store?.close();
    await vhost?.drop();
    await database?.drop();
  });

  it('reports ready on its database and storage (not the broker: uploads wait in the outbox)', async () => {
    const response = await fetch(`${baseUrl}/health/ready`);
    const body = (await response.json()) as { checks: Record<string, { status: string }> };
    expect(Object.fromEntries(Object.entries(body.checks).map(([name, check]) => [name, check.status]))).toEqual({
      database: 'ok',
      storage: 'ok',
    });
    // What /health/detailed shows as `storage`: the driver and this check's latency.
    expect(body.checks.storage).toEqual({ status: 'ok', latency_ms: expect.any(Number), driver });
  });

  it('publishes the jobs of an upload, completes it from the events and calls the webhook', async () => {
    const { port } = receiver.address() as AddressInfo;
    const csv = `${CSV_HEADER}\nM1,Main,"https://img.test/1.jpg,https://img.test/2.jpg"\n`;
    const accepted = await fetch(`${baseUrl}/api/upload`, {
      method: 'POST',
      body: csvForm(csv, { webhook_url: `http://127.0.0.1:${port}/hook` }),
    });
    expect(accepted.status).toBe(202);
    const { request_id } = (await accepted.json()) as { request_id: string };

    // Play the worker: take the jobs, answer each with image.processed.
    const connection = await amqplib.connect(vhost.url);
    const channel = await connection.createChannel();
    const jobs = await until(async () => {
      const found = [];
      for (let message = await channel.get(QUEUES.jobs); message; message = await channel.get(QUEUES.jobs)) {
        channel.ack(message);
        found.push(ImageProcessJobSchema.parse(JSON.parse(message.content.toString())));
      }
      return found.length ? found : undefined;
    });
    expect(jobs).toHaveLength(2);
    for (const job of jobs) {
      const event = processedEvent({ id: job.item_id, request_id, serial_number: 'M1', input_url: 'x' });
      channel.publish(EXCHANGES.events, ROUTING_KEYS.processed, Buffer.from(JSON.stringify(event)), {
        persistent: true,
      });
    }
    await channel.close();
    await connection.close();

    await until(() => hooks.length > 0);
    const status = (await (await fetch(`${baseUrl}/api/status/${request_id}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      status: 'completed',
      processed: 2,
      output_csv_url: `http://public.test/api/uploads/${request_id}/output.csv`,
    });
    const hook = hooks[0] as (typeof hooks)[number];
    expect(new Webhook(SECRET).verify(hook.body, hook.headers)).toMatchObject({ request_id, status: 'completed' });
    const csvOut = await (await fetch(`${baseUrl}/api/uploads/${request_id}/output.csv`)).text();
    expect(csvOut.split('\n')[1]).toContain(`outputs/${jobs[0]?.item_id}.jpg`);

    // The product service created the product through its internal endpoint.
    const products = (await (await fetch(`${productService.url}/api/products?search=M1`)).json()) as {
      items: Array<{ serial_number: string; name: string }>;
    };
    expect(products.items.map((product) => [product.serial_number, product.name])).toEqual([['M1', 'Main']]);

    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/upload_jobs_published_total\{[^}]*\} 2/);
    expect(metrics).toMatch(/upload_outbox_backlog\{[^}]*\} 0/);
    expect(metrics).toMatch(/upload_webhook_deliveries_total\{[^}]*outcome="delivered"[^}]*\} 1/);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await service.stop('SIGTERM')).toBe(0);
  });

  it('refuses to start in production without a webhook secret', async () => {
    await expect(
      startService({
        entry,
        readyUrl: 'http://127.0.0.1:1/health/ready',
        timeoutMs: 10_000,
        env: { NODE_ENV: 'production', WEBHOOK_SECRET: '', DATABASE_URL: database.url, AMQP_URL: vhost.url },
      }),
    ).rejects.toThrow(/WEBHOOK_SECRET/);
  });
});
