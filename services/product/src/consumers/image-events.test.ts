import { EXCHANGES, ProductSchema, ROUTING_KEYS } from '@ipp/contracts';
import { createLogger } from '@ipp/platform';
import { createAmqp } from '@ipp/platform/amqp';
import { createTestVhost } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp, processedEvent } from '../testing/app.ts';
import { consumeImageEvents } from './image-events.ts';

describe('image events consumer', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let consumer: ReturnType<typeof createAmqp>;
  let publisher: ReturnType<typeof createAmqp>;
  beforeAll(async () => {
    [fixture, vhost] = await Promise.all([createTestProductApp('product_events'), createTestVhost('product_events')]);
    const logger = createLogger({ service: 'product', level: 'silent' });
    consumer = createAmqp({ url: vhost.url, logger, prefetch: 4 });
    consumeImageEvents({ amqp: consumer, orm: fixture.orm, logger });
    await consumer.connect();
    publisher = createAmqp({ url: vhost.url, logger });
    await publisher.connect();
  });
  afterAll(async () => {
    await Promise.all([consumer?.close(), publisher?.close()]);
    await Promise.all([fixture?.close(), vhost?.drop()]);
  });

  it('lists the image of a published image.processed event on its product', async () => {
    const response = await fixture.json('POST', '/api/products', { serial_number: 'EVT-1', name: 'Evented lamp' });
    const product = ProductSchema.parse(await response.json());
    const event = processedEvent({ id: product.id, serial_number: product.serial_number });
    await publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, event);
    await publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, event);

    await expect
      .poll(
        async () => ProductSchema.parse(await (await fixture.app.request(`/api/products/${product.id}`)).json()).images,
        { timeout: 20_000, interval: 100 },
      )
      .toHaveLength(1);
    const [image] = ProductSchema.parse(await (await fixture.app.request(`/api/products/${product.id}`)).json()).images;
    expect(image?.output_url).toBe(event.output_url);
  });
});
