import { EXCHANGES, ProductSchema, ROUTING_KEYS, type UploadDeleted } from '@ipp/contracts';
import { createLogger } from '@ipp/platform';
import { createAmqp } from '@ipp/platform/amqp';
import { createTestVhost } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp, processedEvent } from '../testing/app.ts';
import { consumeImageEvents } from './image-events.ts';
import { consumeUploadEvents } from './upload-events.ts';

describe('upload events consumer', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let consumer: ReturnType<typeof createAmqp>;
  let publisher: ReturnType<typeof createAmqp>;
  beforeAll(async () => {
    [fixture, vhost] = await Promise.all([
      createTestProductApp('product_upload_events'),
      createTestVhost('product_upload_events'),
    ]);
    const logger = createLogger({ service: 'product', level: 'silent' });
    consumer = createAmqp({ url: vhost.url, logger, prefetch: 4 });
    consumeImageEvents({ amqp: consumer, orm: fixture.orm, logger });
    consumeUploadEvents({ amqp: consumer, orm: fixture.orm, logger });
    await consumer.connect();
    publisher = createAmqp({ url: vhost.url, logger });
    await publisher.connect();
  });
  afterAll(async () => {
    await Promise.all([consumer?.close(), publisher?.close()]);
    await Promise.all([fixture?.close(), vhost?.drop()]);
  });

  const deletedEvent = (requestId: string): UploadDeleted => ({
    message_id: crypto.randomUUID(),
    type: 'upload.deleted',
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: requestId,
  });
  const imagesOf = async (id: number) =>
    ProductSchema.parse(await (await fixture.app.request(`/api/products/${id}`)).json()).images;

  it('drops the images a deleted upload request attached, and those of it that arrive afterwards', async () => {
    const response = await fixture.json('POST', '/api/products', { serial_number: 'UEV-1', name: 'Evented desk' });
    const product = ProductSchema.parse(await response.json());
    const kept = processedEvent(product);
    const deleted = processedEvent(product);
    await publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, kept);
    await publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, deleted);
    await expect.poll(() => imagesOf(product.id), { timeout: 20_000, interval: 100 }).toHaveLength(2);

    await publisher.publish(EXCHANGES.uploads, ROUTING_KEYS.uploadDeleted, deletedEvent(deleted.request_id));
    await expect
      .poll(async () => (await imagesOf(product.id)).map((image) => image.request_id), {
        timeout: 20_000,
        interval: 100,
      })
      .toEqual([kept.request_id]);

    const late = { ...processedEvent(product), request_id: deleted.request_id };
    const marker = processedEvent(product);
    await publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, late);
    await publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, marker);
    await expect.poll(() => imagesOf(product.id), { timeout: 20_000, interval: 100 }).toHaveLength(2);
    expect((await imagesOf(product.id)).map((image) => image.output_url).sort()).toEqual(
      [kept.output_url, marker.output_url].sort(),
    );
  });

  it('refuses to publish an upload.deleted that breaks its contract', async () => {
    const broken = { ...deletedEvent(crypto.randomUUID()), request_id: 'not-a-uuid' };
    await expect(publisher.publish(EXCHANGES.uploads, ROUTING_KEYS.uploadDeleted, broken)).rejects.toThrow(
      /request_id/,
    );
  });
});
