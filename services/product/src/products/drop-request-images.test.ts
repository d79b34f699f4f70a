import { randomUUID } from 'node:crypto';
import { ProductSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp, processedEvent } from '../testing/app.ts';
import { attachProcessedImage } from './attach-processed-image.ts';
import { dropRequestImages } from './drop-request-images.ts';

describe('dropRequestImages', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  let product: { id: number; serial_number: string };
  beforeAll(async () => {
    fixture = await createTestProductApp('product_drop_request');
    const response = await fixture.json('POST', '/api/products', { serial_number: 'DROP-1', name: 'Dropped desk' });
    product = ProductSchema.parse(await response.json());
  });
  afterAll(() => fixture.close());

  const imagesOf = async (requestId: string) =>
    Number(
      (
        await fixture.orm.em
          .fork()
          .execute<{ count: string }[]>('SELECT count(*) FROM product.product_images WHERE request_id = ?', [requestId])
      )[0]?.count,
    );
  const eventOf = (requestId: string) => ({ ...processedEvent(product), request_id: requestId });

  it('drops the images of that request only, once, and attaches none of it that arrives later', async () => {
    const deleted = randomUUID();
    const kept = randomUUID();
    for (const requestId of [deleted, deleted, kept]) {
      expect(await attachProcessedImage(fixture.orm.em.fork(), eventOf(requestId))).toBe('attached');
    }
    expect(await dropRequestImages(fixture.orm.em.fork(), deleted)).toBe(2);
    expect(await dropRequestImages(fixture.orm.em.fork(), deleted)).toBe(0);
    expect(await attachProcessedImage(fixture.orm.em.fork(), eventOf(deleted))).toBe('request_deleted');
    expect(await imagesOf(deleted)).toBe(0);
    expect(await imagesOf(kept)).toBe(1);
    const listed = ProductSchema.parse(await (await fixture.app.request(`/api/products/${product.id}`)).json());
    expect(listed.images.map((image) => image.request_id)).toEqual([kept]);
  });

  it('leaves none of a request whose images are attached while it is dropped', async () => {
    const requestId = randomUUID();
    const attaches = Array.from({ length: 12 }, () => attachProcessedImage(fixture.orm.em.fork(), eventOf(requestId)));
    const [dropped, outcomes] = await Promise.all([
      dropRequestImages(fixture.orm.em.fork(), requestId),
      Promise.all(attaches),
    ]);
    // Each attach either went first (and was dropped) or saw the request deleted.
    expect(outcomes.filter((outcome) => outcome === 'attached')).toHaveLength(dropped);
    expect(outcomes.every((outcome) => outcome === 'attached' || outcome === 'request_deleted')).toBe(true);
    expect(await imagesOf(requestId)).toBe(0);
  });
});
