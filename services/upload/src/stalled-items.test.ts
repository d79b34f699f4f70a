import { Writable } from 'node:stream';
import { EXCHANGES, type ImageProcessJob, ImageProcessJobSchema, QUEUES } from '@ipp/contracts';
import { createLogger } from '@ipp/platform';
import { type Amqp, createAmqp } from '@ipp/platform/amqp';
import { freePort, until } from '@ipp/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventOutcome } from './apply-image-event.ts';
import { loadUploadConfig } from './config.ts';
import { consumeImageEvents } from './consumers/image-events.ts';
import { createPool } from './database.ts';
import { createOutboxRelay } from './outbox-relay.ts';
import { createStalledItemsSweep, defaultStallTimeoutS } from './stalled-items.ts';
import { processedEvent } from './testing/events.ts';
import {
  type BrokerHarness,
  CSV_HEADER,
  createBrokerHarness,
  csvForm,
  type Harness,
  PUBLIC_BASE_URL,
  testLogger,
} from './testing/harness.ts';

const STALL_TIMEOUT_MS = 400;
const csv = (...serials: string[]) =>
  `${CSV_HEADER}\n${serials.map((serial) => `${serial},Name ${serial},https://img.test/${serial}.jpg`).join('\n')}\n`;

/** What the stand-in worker does with a job: answers it, or acks it and says nothing (the job is lost). */
type Answer = 'answer' | 'drop';

describe('stalled items sweep', () => {
  let harness: Harness;
  let broker: BrokerHarness;
  let vhost: BrokerHarness['vhost'];
  let upload: BrokerHarness['upload'];
  let worker: Amqp;
  let relay: ReturnType<typeof createOutboxRelay>;
  let sweeps: Array<ReturnType<typeof createStalledItemsSweep>> = [];
  const jobs: ImageProcessJob[] = [];
  const outcomes: EventOutcome[] = [];
  let answer: (job: ImageProcessJob, delivery: number) => Answer = () => 'answer';

  const jobsOf = (itemId: string) => jobs.filter((job) => job.item_id === itemId);
  const answerJob = (job: ImageProcessJob) => {
    const event = processedEvent({
      id: job.item_id,
      request_id: job.request_id,
      serial_number: job.product.serial_number,
      input_url: job.source.kind === 'url' ? job.source.url : job.source.key,
    });
    return worker.publish(EXCHANGES.events, event.type, event);
  };
  const statusOf = async (requestId: string) => (await harness.getJson(`/api/status/${requestId}`)).body;
  const itemRows = async (requestId: string) =>
    (
      await harness.pool.query<{ id: string; status: string; error: string | null; republished: number }>(
        'SELECT id, status, error, republished FROM upload.items WHERE request_id = $1 ORDER BY row_number',
        [requestId],
      )
    ).rows;

  function startSweep(options: { maxRepublishes: number; onStalled?: (outcome: EventOutcome) => void }) {
    const sweep = createStalledItemsSweep({
      pool: harness.pool,
      storage: harness.storage,
      publicBaseUrl: PUBLIC_BASE_URL,
      logger: testLogger,
      jobsWaiting: async () => (await upload.queueStats(QUEUES.jobs)).messages,
      stallTimeoutMs: STALL_TIMEOUT_MS,
      intervalMs: 100,
      onRepublished: (count) => count && relay.wake(),
      ...options,
    });
    sweeps.push(sweep);
    sweep.start();
    return sweep;
  }

  beforeAll(async () => {
    broker = await createBrokerHarness('upload_stalled', {
      attach: (amqp, dependencies) =>
        consumeImageEvents(amqp, { ...dependencies, onOutcome: (_type, outcome) => outcomes.push(outcome) }),
    });
    ({ harness, vhost, upload } = broker);
    worker = createAmqp({ url: vhost.url, logger: testLogger });
    worker.consume(QUEUES.jobs, ImageProcessJobSchema, async (job) => {
      jobs.push(job);
      if (answer(job, jobsOf(job.item_id).length) === 'answer') await answerJob(job);
    });
    await worker.connect();
    relay = createOutboxRelay({
      pool: harness.pool,
      logger: testLogger,
      pollMs: 50,
      publish: (exchange, routingKey, message, headers) =>
        upload.publish(exchange, routingKey, message as { message_id: string }, { headers }),
    });
    relay.start();
  });
  afterEach(async () => {
    await Promise.all(sweeps.map((sweep) => sweep.stop()));
    sweeps = [];
    answer = () => 'answer';
  });
  afterAll(async () => {
    await relay?.stop();
    await worker?.close();
    await broker?.close();
  });

  it('defaults the stall timeout to the retry schedule plus five downloads and processings, with margin', () => {
    // 1 + 5 + 30 + 120 s of retry delays and 5 × (15 s download + 30 s processing) = 381 s; × 1.5, whole minutes.
    expect(defaultStallTimeoutS(15_000)).toBe(600);
    // 156 s + 5 × (60 s + 30 s) = 606 s; × 1.5 = 909 s.
    expect(defaultStallTimeoutS(60_000)).toBe(960);
    expect(loadUploadConfig({}).ITEM_STALL_TIMEOUT_S).toBe(600);
    expect(loadUploadConfig({ FETCH_TIMEOUT_MS: '60000' }).ITEM_STALL_TIMEOUT_S).toBe(960);
    expect(loadUploadConfig({ ITEM_STALL_TIMEOUT_S: '90' }).ITEM_STALL_TIMEOUT_S).toBe(90);
  });

  it('publishes the job of an item whose job was lost again, and the request completes when a worker answers', async () => {
    answer = (_job, delivery) => (delivery === 1 ? 'drop' : 'answer');
    const { body } = await harness.upload(csvForm(csv('L1')));
    startSweep({ maxRepublishes: 2 });

    await until(async () => (await statusOf(body.request_id)).status === 'completed', { timeoutMs: 15_000 });
    const [item] = await itemRows(body.request_id);
    expect(item).toMatchObject({ status: 'done', republished: 1 });
    const [original, again] = jobsOf(item?.id ?? '');
    // The same job, built by the same builder; the product is found by serial number (its id is not stored).
    expect(again).toEqual({
      ...original,
      message_id: expect.any(String),
      occurred_at: expect.any(String),
      product: { ...original?.product, id: null },
    });
    expect(again?.message_id).not.toBe(original?.message_id);
    expect(jobsOf(item?.id ?? '')).toHaveLength(2);
  });

  it('fails an item that never gets an answer as stalled after the last republication, and its request finishes', async () => {
    answer = (job) => (job.product.serial_number === 'N2' ? 'drop' : 'answer');
    const { body } = await harness.upload(csvForm(csv('N1', 'N2'), { webhook_url: 'https://hooks.test/stalled' }));
    const stalled: EventOutcome[] = [];
    startSweep({ maxRepublishes: 2, onStalled: (outcome) => stalled.push(outcome) });

    await until(async () => (await statusOf(body.request_id)).status === 'completed_with_errors', {
      timeoutMs: 20_000,
    });
    const [answered, lost] = await itemRows(body.request_id);
    expect(answered).toMatchObject({ status: 'done', republished: 0 });
    expect(lost).toMatchObject({
      status: 'failed',
      republished: 2,
      error: expect.stringMatching(/^stalled: no result/),
    });
    // The original job and two republications, none answered.
    expect(jobsOf(lost?.id ?? '')).toHaveLength(3);
    expect(stalled).toEqual(['completed']);
    const status = await statusOf(body.request_id);
    expect(status).toMatchObject({ total: 2, processed: 1, failed: 1, completed_at: expect.any(String) });
    const { rows } = await harness.pool.query<{ payload: { status: string } | null }>(
      'SELECT payload FROM upload.webhook_deliveries WHERE request_id = $1',
      [body.request_id],
    );
    expect(rows[0]?.payload).toMatchObject({ status: 'completed_with_errors', failed: 1 });

    // A result that comes after all changes nothing.
    const before = outcomes.length;
    const [firstJob] = jobsOf(lost?.id ?? '');
    if (!firstJob) throw new Error('expected the lost job');
    await answerJob(firstJob);
    await until(() => outcomes.length > before);
    expect(outcomes.at(-1)).toBe('duplicate');
    expect(await itemRows(body.request_id)).toEqual([answered, lost]);
    expect(await statusOf(body.request_id)).toMatchObject({ processed: 1, failed: 1 });
  });

  it('applies a late original result once; the republished job’s result then changes nothing', async () => {
    // The worker holds the first job and answers nothing until the job has been published again.
    answer = () => 'drop';
    const { body } = await harness.upload(csvForm(csv('T1')));
    startSweep({ maxRepublishes: 2 });
    const [item] = await itemRows(body.request_id);
    const itemId = item?.id ?? '';
    await until(() => jobsOf(itemId).length === 2, { timeoutMs: 15_000 });
    await Promise.all(sweeps.map((sweep) => sweep.stop()));
    sweeps = [];

    const before = outcomes.length;
    const [original, republished] = jobsOf(itemId);
    if (!original || !republished) throw new Error('expected two jobs');
    await answerJob(original);
    await answerJob(republished);
    await until(() => outcomes.length === before + 2);
    expect(outcomes.slice(before)).toEqual(['completed', 'duplicate']);
    expect(await statusOf(body.request_id)).toMatchObject({ status: 'completed', processed: 1, failed: 0 });
  });

  it('republishes each stalled item once when two sweeps run at the same time', async () => {
    answer = (_job, delivery) => (delivery === 1 ? 'drop' : 'answer');
    const serials = Array.from({ length: 60 }, (_, index) => `C${index}`);
    const { body } = await harness.upload(csvForm(csv(...serials)));
    const unsent = async () =>
      (await harness.pool.query('SELECT 1 FROM upload.outbox WHERE sent_at IS NULL')).rowCount ?? 0;
    await until(async () => (await unsent()) === 0);
    // Jobs the broker took and nobody answered: processing, with no progress for longer than the timeout.
    await harness.pool.query(
      "UPDATE upload.items SET status = 'processing', updated_at = now() - interval '1 hour' WHERE request_id = $1",
      [body.request_id],
    );
    await relay.stop();
    const replicas = [1, 2].map(() =>
      createStalledItemsSweep({
        pool: harness.pool,
        storage: harness.storage,
        publicBaseUrl: PUBLIC_BASE_URL,
        logger: testLogger,
        jobsWaiting: async () => 0,
        stallTimeoutMs: STALL_TIMEOUT_MS,
        maxRepublishes: 2,
        batchSize: 7,
      }),
    );
    try {
      // The first round sees the jobs queue empty; a round the stall timeout later may act on it.
      await Promise.all(replicas.map((replica) => replica.sweep()));
      expect(await unsent()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, STALL_TIMEOUT_MS));
      await Promise.all(replicas.map((replica) => replica.sweep()));

      const { rows } = await harness.pool.query<{ item_id: string; jobs: number }>(
        `SELECT payload->>'item_id' AS item_id, count(*)::int AS jobs FROM upload.outbox
         WHERE sent_at IS NULL AND payload->>'request_id' = $1 GROUP BY 1`,
        [body.request_id],
      );
      expect(rows).toHaveLength(60);
      expect(rows.every((row) => row.jobs === 1)).toBe(true);
      const items = await itemRows(body.request_id);
      expect(items.every((item) => item.republished === 1 && item.status === 'queued')).toBe(true);
    } finally {
      relay.start();
    }
    await until(async () => (await statusOf(body.request_id)).status === 'completed', { timeoutMs: 15_000 });
  });

  it('leaves old items alone while jobs wait in the queue: they are waiting their turn, not lost', async () => {
    answer = (_job, delivery) => (delivery === 1 ? 'drop' : 'answer');
    const { body } = await harness.upload(csvForm(csv('W1')));
    await until(async () => (await itemRows(body.request_id))[0]?.status === 'processing');
    const [item] = await itemRows(body.request_id);
    await harness.pool.query(
      "UPDATE upload.items SET status = 'processing', updated_at = now() - interval '1 hour' WHERE id = $1",
      [item?.id],
    );
    let waiting = 5;
    const sweep = createStalledItemsSweep({
      pool: harness.pool,
      storage: harness.storage,
      publicBaseUrl: PUBLIC_BASE_URL,
      logger: testLogger,
      jobsWaiting: async () => waiting,
      stallTimeoutMs: STALL_TIMEOUT_MS,
      maxRepublishes: 2,
    });
    await sweep.sweep();
    await new Promise((resolve) => setTimeout(resolve, STALL_TIMEOUT_MS));
    await sweep.sweep();
    expect(await itemRows(body.request_id)).toMatchObject([{ status: 'processing', republished: 0 }]);

    // Drained: the clock starts now, and runs out a stall timeout later.
    waiting = 0;
    await sweep.sweep();
    expect(await itemRows(body.request_id)).toMatchObject([{ status: 'processing', republished: 0 }]);
    await new Promise((resolve) => setTimeout(resolve, STALL_TIMEOUT_MS));
    await sweep.sweep();
    expect(await itemRows(body.request_id)).toMatchObject([{ republished: 1 }]);
    await until(async () => (await statusOf(body.request_id)).status === 'completed');
  });

  it('keeps sweeping through a database outage: each failed round is logged and the next one tries again', async () => {
    const unreachable = createPool({
      databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`,
      max: 1,
      logger: testLogger,
    });
    let rounds = 0;
    const logged: Array<{ level: string; message: string }> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const sweep = createStalledItemsSweep({
      pool: unreachable,
      storage: harness.storage,
      publicBaseUrl: PUBLIC_BASE_URL,
      logger: createLogger({ service: 'upload-test', destination }),
      jobsWaiting: async () => {
        rounds += 1;
        return 0;
      },
      stallTimeoutMs: 0,
      maxRepublishes: 2,
      intervalMs: 20,
    });
    await expect(sweep.sweep()).rejects.toThrow();
    sweep.start();
    await until(() => rounds >= 4);
    await sweep.stop();
    await unreachable.end();
    expect(logged.length).toBeGreaterThanOrEqual(3);
    expect(logged.every((line) => line.level === 'error' && /stalled items sweep pass failed/.test(line.message))).toBe(
      true,
    );
  });
});
