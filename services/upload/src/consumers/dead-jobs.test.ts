import { EXCHANGES, type ImageProcessJob, ImageProcessJobSchema, QUEUES, ROUTING_KEYS } from '@ipp/contracts';
import { type Amqp, createAmqp } from '@ipp/platform/amqp';
import { until } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemsOf } from '../testing/events.ts';
import {
  type BrokerHarness,
  CSV_HEADER,
  createBrokerHarness,
  csvForm,
  type Harness,
  testLogger,
} from '../testing/harness.ts';
import { consumeDeadJobs } from './dead-jobs.ts';

describe('dead-lettered jobs', () => {
  let harness: Harness;
  let broker: BrokerHarness;
  let vhost: BrokerHarness['vhost'];
  let crashingWorker: Amqp;

  beforeAll(async () => {
    broker = await createBrokerHarness('upload_dead_jobs', { attach: consumeDeadJobs });
    ({ harness, vhost } = broker);
    // A worker whose every attempt fails, with no retries left: the broker dead-letters the job at once.
    crashingWorker = createAmqp({ url: vhost.url, logger: testLogger, retryDelaysMs: [] });
    crashingWorker.consume(QUEUES.jobs, ImageProcessJobSchema, async () => {
      throw new Error('worker fault');
    });
    await crashingWorker.connect();
  });
  afterAll(async () => {
    await crashingWorker?.close();
    await broker?.close();
  });

  it('fails the item of a job that failed every attempt, finishes the request and keeps the job dead-lettered', async () => {
    const { body } = await harness.upload(csvForm(`${CSV_HEADER}\nD1,Doomed,https://img.test/d.jpg\n`));
    const [item] = await itemsOf(harness.pool, body.request_id);
    if (!item) throw new Error('expected an item');
    const job: ImageProcessJob = {
      message_id: crypto.randomUUID(),
      type: 'image.process',
      version: 1,
      occurred_at: new Date().toISOString(),
      request_id: item.request_id,
      item_id: item.id,
      source: { kind: 'url', url: item.input_url },
      options: { quality: 50, format: 'original', max_width: null, max_height: null },
      product: { id: null, serial_number: item.serial_number, name: 'Doomed' },
    };
    await crashingWorker.publish(EXCHANGES.jobs, ROUTING_KEYS.process, job);

    await until(async () => (await harness.getJson(`/api/status/${body.request_id}`)).body.status === 'failed');
    const { body: status } = await harness.getJson(`/api/status/${body.request_id}`);
    expect(status.items[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^dead_lettered: /) });
    expect(await broker.upload.queueStats(QUEUES.deadLetter)).toMatchObject({ messages: 1 });
  });
});
