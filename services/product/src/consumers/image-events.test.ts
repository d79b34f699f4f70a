import { EXCHANGES, ProductSchema, ROUTING_KEYS } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumerHarness, processedEvent } from '../testing/app.ts';

describe('image events consumer', () => {
  let harness: Awaited<ReturnType<typeof createConsumerHarness>>;
  beforeAll(async () => {
    harness = await createConsumerHarness('product_events');
  });
  afterAll(() => harness?.close());

  it('lists the image of a published image.processed event on its product', async () => {
    const response = await harness.json('POST', '/api/products', { serial_number: 'EVT-1', name: 'Evented lamp' });
    const product = ProductSchema.parse(await response.json());
    const event = processedEvent({ id: product.id, serial_number: product.serial_number });
    await harness.publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, event);
    await harness.publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, event);

    await expect.poll(() => harness.imagesOf(product.id), { timeout: 20_000, interval: 100 }).toHaveLength(1);
    const [image] = await harness.imagesOf(product.id);
    expect(image?.output_url).toBe(event.output_url);
  });
});
