import { EXCHANGES, QUEUES, ROUTING_KEYS } from '@ipp/contracts';
import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { until } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOutcome } from '../apply-image-event.ts';
import { failedEvent, itemsOf, processedEvent } from '../testing/events.ts';
import { type BrokerHarness, CSV_HEADER, createBrokerHarness, csvForm, type Harness } from '../testing/harness.ts';
import { consumeImageEvents } from './image-events.ts';

describe.each(STORAGE_DRIVERS)('image event consumer on %s storage', (driver) => {
  let harness: Harness;
  let broker: BrokerHarness;
  let amqp: BrokerHarness['upload'];
  const outcomes: EventOutcome[] = [];

  beforeAll(async () => {
    broker = await createBrokerHarness('upload_events', {
      driver,
      attach: (upload, dependencies) =>
        consumeImageEvents(upload, { ...dependencies, onOutcome: (_type, outcome) => outcomes.push(outcome) }),
    });
    ({ harness, upload: amqp } = broker);
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('completes a request from the workers’ events, each applied once, and writes its output CSV', async () => {
    const csv = `${CSV_HEADER}\nA1,Alpha,"https://img.test/a.jpg,https://img.test/b.jpg"\nB2,Beta,https://img.test/c.jpg\n`;
    const { body } = await harness.upload(csvForm(csv));
    const [a, b, c] = await itemsOf(harness.pool, body.request_id);
    if (!a || !b || !c) throw new Error('expected three items');
    const first = processedEvent(a);
    // The first event arrives twice, as a redelivery would.
    for (const event of [first, first, failedEvent(b), processedEvent(c)]) {
      await amqp.publish(EXCHANGES.events, event.type, event);
    }
    await until(
      async () => (await harness.getJson(`/api/status/${body.request_id}`)).body.status === 'completed_with_errors',
    );
    await until(async () => (await amqp.queueStats(QUEUES.uploadEvents)).messages === 0);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(1);

    const { body: status } = await harness.getJson(`/api/status/${body.request_id}`);
    expect(status).toMatchObject({ total: 3, processed: 2, failed: 1, progress: 1 });
    const response = await harness.request(`/api/uploads/${body.request_id}/output.csv`);
    expect(await response.text()).toBe(
      [
        'Serial Number,Product Name,Input Image Urls,Output Image Urls',
        `A1,Alpha,"https://img.test/a.jpg,https://img.test/b.jpg","${first.output_url},"`,
        `B2,Beta,https://img.test/c.jpg,http://files.test/files/outputs/${c.id}.jpg`,
        '',
      ].join('\n'),
    );
  });

  it('marks a request failed when every image failed, and ignores events for unknown items', async () => {
    const { body } = await harness.upload(csvForm(`${CSV_HEADER}\nF1,Fail,https://img.test/f.jpg\n`));
    const [item] = await itemsOf(harness.pool, body.request_id);
    if (!item) throw new Error('expected an item');
    await amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, processedEvent({ ...item, id: crypto.randomUUID() }));
    await amqp.publish(EXCHANGES.events, ROUTING_KEYS.failed, failedEvent(item));
    await until(async () => (await harness.getJson(`/api/status/${body.request_id}`)).body.status === 'failed');
    expect(outcomes).toContain('unknown_item');
    const response = await harness.request(`/api/uploads/${body.request_id}/output.csv`);
    expect((await response.text()).split('\n')[1]).toBe('F1,Fail,https://img.test/f.jpg,');
  });
});
