import { randomUUID } from 'node:crypto';
import { ProductListSchema, ProductSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp, processedEvent } from '../testing/app.ts';
import { attachProcessedImage } from './attach-processed-image.ts';

describe('attachProcessedImage', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  let product: { id: number; serial_number: string };
  beforeAll(async () => {
    fixture = await createTestProductApp('product_attach');
    const response = await fixture.json('POST', '/api/products', { serial_number: 'ATT-1', name: 'Attached desk' });
    product = (await response.json()) as typeof product;
  });
  afterAll(() => fixture.close());

  const images = async (id: number) =>
    ProductSchema.parse(await (await fixture.app.request(`/api/products/${id}`)).json()).images;

  it('lists the processed image on its product, once even when the event comes twice', async () => {
    const event = processedEvent({ id: product.id, serial_number: product.serial_number });
    expect(await attachProcessedImage(fixture.orm.em.fork(), event)).toBe('attached');
    expect(await attachProcessedImage(fixture.orm.em.fork(), { ...event, message_id: randomUUID() })).toBe('duplicate');
    const listed = await images(product.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      input_url: event.input_url,
      output_url: event.output_url,
      thumbnail_url: event.thumbnail_url,
      width: 640,
      height: 480,
      format: 'jpeg',
      input_bytes: 120_000,
      output_bytes: 40_000,
      request_id: event.request_id,
    });
    // The list shows the product exactly as GET does, timestamps as toISOString writes them.
    const got = ProductSchema.parse(await (await fixture.app.request(`/api/products/${product.id}`)).json());
    const list = ProductListSchema.parse(await (await fixture.app.request('/api/products?search=ATT-1')).json());
    expect(list.items).toEqual([got]);
    for (const stamp of [got.created_at, got.updated_at, listed[0]?.created_at ?? '']) {
      expect(new Date(stamp).toISOString()).toBe(stamp);
    }
  });

  it('finds the product by serial number when the event carries no id', async () => {
    const event = processedEvent({ id: null, serial_number: product.serial_number });
    expect(await attachProcessedImage(fixture.orm.em.fork(), event)).toBe('attached');
    expect((await images(product.id)).map((image) => image.output_url)).toContain(event.output_url);
  });

  it('ignores an event whose product no longer exists, and deleting a product removes its images', async () => {
    const response = await fixture.json('POST', '/api/products', { serial_number: 'ATT-GONE', name: 'Gone' });
    const gone = (await response.json()) as { id: number };
    expect(
      await attachProcessedImage(fixture.orm.em.fork(), processedEvent({ id: gone.id, serial_number: 'ATT-GONE' })),
    ).toBe('attached');
    expect((await fixture.app.request(`/api/products/${gone.id}`, { method: 'DELETE' })).status).toBe(204);
    const rows = await fixture.orm.em
      .fork()
      .execute<{ count: string }[]>('SELECT count(*) FROM product.product_images WHERE product_id = ?', [gone.id]);
    expect(Number(rows[0]?.count)).toBe(0);
    const late = processedEvent({ id: gone.id, serial_number: 'ATT-GONE' });
    expect(await attachProcessedImage(fixture.orm.em.fork(), late)).toBe('product_missing');
    expect(await attachProcessedImage(fixture.orm.em.fork(), processedEvent({ id: null, serial_number: 'NOPE' }))).toBe(
      'product_missing',
    );
  });
});
