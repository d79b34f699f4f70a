import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ImageProcessJobSchema, QUEUES } from '@ipp/contracts';
import { type Amqp, createAmqp } from '@ipp/platform/amqp';
import { createTestVhost, freePort, until } from '@ipp/platform/testing';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxRelay, type Publish } from './outbox-relay.ts';
import { CSV_HEADER, createHarness, csvForm, type Harness, testLogger } from './testing/harness.ts';

const run = promisify(execFile);
const csv = (count: number) =>
  `${CSV_HEADER}\n${Array.from({ length: count }, (_, index) => `S${index},N${index},https://img.test/${index}.jpg`).join('\n')}\n`;

describe('outbox relay', () => {
  let harness: Harness;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let amqp: Amqp;
  const unsent = async () =>
    (
      await harness.pool.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM upload.outbox WHERE sent_at IS NULL',
      )
    ).rows[0]?.count;
  const publishThrough =
    (client: Amqp): Publish =>
    (exchange, routingKey, message, headers) =>
      client.publish(exchange, routingKey, message as { message_id: string }, { headers });

  async function drainJobs() {
    const connection = await amqplib.connect(vhost.url);
    const channel = await connection.createChannel();
    const jobs: unknown[] = [];
    for (;;) {
      const message = await channel.get(QUEUES.jobs, { noAck: true });
      if (!message) break;
      jobs.push(JSON.parse(message.content.toString()));
    }
    await connection.close();
    return jobs;
  }

  beforeAll(async () => {
    harness = await createHarness('upload_relay');
    vhost = await createTestVhost('upload_relay');
    amqp = createAmqp({ url: vhost.url, logger: testLogger });
    await amqp.connect();
  });
  afterAll(async () => {
    await amqp?.close();
    await harness?.close();
    await vhost?.drop();
  });

  it('keeps jobs accepted while the broker is unreachable and publishes them once it is back', async () => {
    const unreachable = createAmqp({ url: `amqp://guest:guest@127.0.0.1:${await freePort()}`, logger: testLogger });
    await unreachable.connect({ wait: false });
    let attempts = 0;
    const downRelay = createOutboxRelay({
      pool: harness.pool,
      logger: testLogger,
      pollMs: 50,
      publish: (...args) => {
        attempts += 1;
        return publishThrough(unreachable)(...args);
      },
    });
    downRelay.start();
    expect((await harness.upload(csvForm(csv(3)))).status).toBe(202);
    await until(() => attempts >= 6);
    expect(await unsent()).toBe(3);
    await downRelay.stop();
    await unreachable.close();

    let published = 0;
    const relay = createOutboxRelay({
      pool: harness.pool,
      logger: testLogger,
      publish: publishThrough(amqp),
      onPublished: (count) => (published += count),
    });
    const statuses = async () =>
      (
        await harness.pool.query<{ request: string; items: string[] }>(
          `SELECT request.status AS request, array_agg(item.status ORDER BY item.position, item.row_number) AS items
           FROM upload.requests request JOIN upload.items item ON item.request_id = request.id
           GROUP BY request.id ORDER BY request.created_at DESC LIMIT 1`,
        )
      ).rows[0];
    // Accepted but not yet with the broker: queued.
    expect(await statuses()).toEqual({ request: 'queued', items: ['queued', 'queued', 'queued'] });
    relay.start();
    await until(async () => (await unsent()) === 0);
    await relay.stop();
    expect(published).toBe(3);
    // Confirmed by the broker, so in the workers' hands.
    expect(await statuses()).toEqual({ request: 'processing', items: ['processing', 'processing', 'processing'] });
    const jobs = await drainJobs();
    expect(jobs.map((job) => ImageProcessJobSchema.parse(job).product.serial_number)).toEqual(['S0', 'S1', 'S2']);
  });

  it('survives a cut connection: uploads during the outage are published after the reconnect', async () => {
    const relay = createOutboxRelay({
      pool: harness.pool,
      logger: testLogger,
      publish: publishThrough(amqp),
      pollMs: 100,
    });
    relay.start();
    await run('rabbitmqctl', ['-q', 'close_all_connections', '-p', vhost.vhost, 'test: broker outage']);
    await until(() => !amqp.isConnected());
    expect((await harness.upload(csvForm(csv(2)))).status).toBe(202);
    await until(() => amqp.isConnected());
    await until(async () => (await unsent()) === 0);
    await relay.stop();
    expect(await drainJobs()).toHaveLength(2);
  });

  it('shares the backlog between relays without publishing a row twice', async () => {
    expect((await harness.upload(csvForm(csv(300)))).status).toBe(202);
    const relays = [1, 2].map(() =>
      createOutboxRelay({
        pool: harness.pool,
        logger: testLogger,
        publish: publishThrough(amqp),
        batchSize: 25,
        pollMs: 20,
      }),
    );
    for (const relay of relays) relay.start();
    await until(async () => (await unsent()) === 0);
    await Promise.all(relays.map((relay) => relay.stop()));
    const jobs = (await drainJobs()).map((job) => ImageProcessJobSchema.parse(job).item_id);
    expect(new Set(jobs).size).toBe(300);
    expect(jobs).toHaveLength(300);
  });

  it('deletes sent rows once their retention has passed', async () => {
    expect((await harness.upload(csvForm(csv(2)))).status).toBe(202);
    const relay = createOutboxRelay({
      pool: harness.pool,
      logger: testLogger,
      publish: publishThrough(amqp),
      keepSentMs: 0,
    });
    relay.start();
    await until(async () => (await harness.count('outbox')) === 0);
    await relay.stop();
    expect(await drainJobs()).toHaveLength(2);
  });

  it('counts a publish the broker never confirms as failed, and publishes it on a later pass', async () => {
    expect((await harness.upload(csvForm(csv(1)))).status).toBe(202);
    let calls = 0;
    const relay = createOutboxRelay({
      pool: harness.pool,
      logger: testLogger,
      pollMs: 20,
      confirmTimeoutMs: 100,
      publish: (...args) => {
        calls += 1;
        return calls === 1 ? new Promise<void>(() => undefined) : publishThrough(amqp)(...args);
      },
    });
    relay.start();
    await until(async () => (await unsent()) === 0);
    await relay.stop();
    expect(calls).toBe(2);
    expect(await drainJobs()).toHaveLength(1);
  });
});
