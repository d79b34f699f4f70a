import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseNetworkPolicy } from '@ipp/platform/ssrf-guard';
import { until } from '@ipp/platform/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImageEvent } from './apply-image-event.ts';
import { itemsOf, processedEvent } from './testing/events.ts';
import { CSV_HEADER, createHarness, csvForm, type Harness, PUBLIC_BASE_URL, testLogger } from './testing/harness.ts';
import { createWebhookDispatcher, type DeliveryOutcome } from './webhook-dispatcher.ts';

const SECRET = `whsec_${Buffer.from('a webhook secret for the tests!!').toString('base64')}`;
const LOOPBACK = parseNetworkPolicy('127.0.0.1/32');

type Received = { headers: IncomingHttpHeaders; body: string };

/** A webhook receiver that answers with `answers` in turn (a number is a status, 'hang' never answers), then 204. */
async function startReceiver(answers: Array<number | 'hang'>) {
  const received: Received[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const answer = answers[received.length] ?? 204;
    received.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
    if (answer !== 'hang') response.writeHead(answer).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/upload`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('webhook dispatcher', () => {
  let harness: Harness;
  const outcomes: DeliveryOutcome[] = [];
  const dispatcher = (
    options: { policy?: typeof LOOPBACK; maxAttempts?: number; timeoutMs?: number; baseDelayMs?: number } = {},
  ) =>
    createWebhookDispatcher({
      pool: harness.pool,
      secret: SECRET,
      logger: testLogger,
      policy: options.policy ?? LOOPBACK,
      timeoutMs: options.timeoutMs ?? 2000,
      maxAttempts: options.maxAttempts ?? 5,
      baseDelayMs: options.baseDelayMs ?? 50,
      pollMs: 20,
      onOutcome: (outcome) => outcomes.push(outcome),
    });

  /** An upload with a webhook, completed by a worker's event. */
  async function completedUpload(webhookUrl: string) {
    const { body } = await harness.upload(
      csvForm(`${CSV_HEADER}\nW1,Hooked,https://img.test/w.jpg\n`, { webhook_url: webhookUrl }),
    );
    const [item] = await itemsOf(harness.pool, body.request_id);
    if (!item) throw new Error('expected an item');
    await applyImageEvent(
      { pool: harness.pool, storage: harness.storage, publicBaseUrl: PUBLIC_BASE_URL },
      processedEvent(item),
    );
    return body.request_id as string;
  }
  const webhookOf = async (requestId: string) => (await harness.getJson(`/api/status/${requestId}`)).body.webhook;

  beforeAll(async () => {
    harness = await createHarness('upload_webhooks');
  });
  afterAll(() => harness.close());

  it('signs per Standard Webhooks and retries failures with the same id, across a restart, until delivered', async () => {
    const receiver = await startReceiver([500, 503]);
    const requestId = await completedUpload(receiver.url);
    // Its next attempt is due well after it is stopped.
    const first = dispatcher({ baseDelayMs: 1000 });
    first.start();
    await until(() => receiver.received.length >= 1);
    await first.stop();
    expect(await webhookOf(requestId)).toMatchObject({ status: 'pending', attempts: 1 });

    // A new process picks the delivery up where the last one left it.
    const second = dispatcher();
    second.start();
    await until(async () => (await webhookOf(requestId)).status === 'delivered');
    await second.stop();
    await receiver.close();

    expect(await webhookOf(requestId)).toEqual({ url: receiver.url, status: 'delivered', attempts: 3 });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((request) => request.headers['webhook-id'])).size).toBe(1);
    const last = receiver.received[2] as Received;
    const verified = new Webhook(SECRET).verify(last.body, {
      'webhook-id': String(last.headers['webhook-id']),
      'webhook-timestamp': String(last.headers['webhook-timestamp']),
      'webhook-signature': String(last.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      type: 'upload.completed',
      request_id: requestId,
      status: 'completed',
      total: 1,
      processed: 1,
      failed: 0,
      output_csv_url: `${PUBLIC_BASE_URL}/api/uploads/${requestId}/output.csv`,
    });
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another secret').toString('base64')}`).verify(last.body, {
        'webhook-id': String(last.headers['webhook-id']),
        'webhook-timestamp': String(last.headers['webhook-timestamp']),
        'webhook-signature': String(last.headers['webhook-signature']),
      }),
    ).toThrow();
    expect(outcomes).toEqual(['retry', 'retry', 'delivered']);
  });

  it('treats a receiver that does not answer in time as a failure and gives up after the last attempt', async () => {
    const receiver = await startReceiver(['hang', 'hang']);
    const requestId = await completedUpload(receiver.url);
    const running = dispatcher({ maxAttempts: 2, timeoutMs: 200 });
    running.start();
    await until(async () => (await webhookOf(requestId)).status === 'failed');
    await running.stop();
    await receiver.close();
    expect(await webhookOf(requestId)).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('refuses a webhook URL that resolves to a private address, without retrying', async () => {
    const receiver = await startReceiver([]);
    const requestId = await completedUpload(receiver.url.replace('127.0.0.1', 'localhost'));
    const running = dispatcher({ policy: parseNetworkPolicy('false') });
    running.start();
    await until(async () => (await webhookOf(requestId)).status === 'failed');
    await running.stop();
    await receiver.close();
    expect(await webhookOf(requestId)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(receiver.received).toHaveLength(0);
    const { rows } = await harness.pool.query(
      'SELECT last_error FROM upload.webhook_deliveries WHERE request_id = $1',
      [requestId],
    );
    expect(rows[0].last_error).toMatch(/loopback/);
  });
});
