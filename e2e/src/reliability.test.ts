import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UploadAcceptedSchema, UploadStatusSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webp } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', ['-q', ...args]);

describe('the pipeline when the broker goes away', () => {
  let stack: Stack;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let vhost: string;

  beforeAll(async () => {
    const file = { body: await webp(), type: 'image/webp' };
    images = await startImageServer({ '/a.webp': file, '/b.webp': file });
    stack = await startStack({ label: 'e2e_broker', services: ['product', 'upload', 'image-worker', 'gateway'] });
    vhost = decodeURIComponent(new URL(stack.amqpUrl).pathname.slice(1));
  }, 90_000);
  afterAll(async () => {
    if (vhost) await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*').catch(() => undefined);
    await stack?.stop();
    await images?.close();
  });

  it('accepts an upload while every service is cut off from RabbitMQ and completes it once the broker is back', async () => {
    // The broker "goes down" for this test's vhost only: connections dropped, reconnects refused.
    await rabbitmqctl('clear_permissions', '-p', vhost, 'guest');
    await rabbitmqctl('close_all_connections', '-p', vhost, 'test: broker outage');

    const csv = [
      'Serial Number,Product Name,Input Image Urls',
      `OUT-1,During Outage,"${images.url}/a.webp,${images.url}/b.webp"`,
    ].join('\n');
    const form = new FormData();
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'outage.csv');
    const response = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const { request_id: requestId } = UploadAcceptedSchema.parse(await response.json());

    const status = async () =>
      UploadStatusSchema.parse(await (await fetch(`${stack.gatewayUrl}/api/status/${requestId}`)).json());
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await status()).status).toBe('queued');
    expect(images.requests).toHaveLength(0);

    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    const done = await until(
      async () => {
        const current = await status();
        return current.status === 'completed' ? current : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(done).toMatchObject({ processed: 2, failed: 0 });
  }, 120_000);
});
