import { EXCHANGES, ProductSchema, ROUTING_KEYS, type UploadDeleted } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumerHarness, processedEvent } from '../testing/app.ts';

describe('upload events consumer', () => {
  let harness: Awaited<ReturnType<typeof createConsumerHarness>>;
  beforeAll(async () => {
    harness = await createConsumerHarness('product_upload_events');
  });
  afterAll(() => harness?.close());

  const deletedEvent = (requestId: string): UploadDeleted => ({
    message_id: crypto.randomUUID(),
    type: 'upload.deleted',
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: requestId,
  });
  const imagesOf = (id: number) => harness.imagesOf(id);

  it('drops the images a deleted upload request attached, and those of it that arrive afterwards', async () => {
    const response = await harness.json('POST', '/api/products', { serial_number: 'UEV-1', name: 'Evented desk' });
    const product = ProductSchema.parse(await response.json());
    const kept = processedEvent(product);
    const deleted = processedEvent(product);
    await harness.publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, kept);
    await harness.publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, deleted);
    await expect.poll(() => imagesOf(product.id), { timeout: 20_000, interval: 100 }).toHaveLength(2);

    await harness.publisher.publish(EXCHANGES.uploads, ROUTING_KEYS.uploadDeleted, deletedEvent(deleted.request_id));
    await expect
      .poll(async () => (await imagesOf(product.id)).map((image) => image.request_id), {
        timeout: 20_000,
        interval: 100,
      })
      .toEqual([kept.request_id]);

    const late = { ...processedEvent(product), request_id: deleted.request_id };
    const marker = processedEvent(product);
    await harness.publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, late);
    await harness.publisher.publish(EXCHANGES.events, ROUTING_KEYS.processed, marker);
    await expect.poll(() => imagesOf(product.id), { timeout: 20_000, interval: 100 }).toHaveLength(2);
    expect((await imagesOf(product.id)).map((image) => image.output_url).sort()).toEqual(
      [kept.output_url, marker.output_url].sort(),
    );
  });

  it('refuses to publish an upload.deleted that breaks its contract', async () => {
    const broken = { ...deletedEvent(crypto.randomUUID()), request_id: 'not-a-uuid' };
    await expect(harness.publisher.publish(EXCHANGES.uploads, ROUTING_KEYS.uploadDeleted, broken)).rejects.toThrow(
      /request_id/,
    );
  });
});
