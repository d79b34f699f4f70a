// Test fixtures: the product app in-process against a database (and vhost) of the test file's own; image events.
import { randomUUID } from 'node:crypto';
import { type ImageProcessed, ProductSchema } from '@ipp/contracts';
import { createLogger, createMetrics } from '@ipp/platform';
import { createAmqp } from '@ipp/platform/amqp';
import { initOrm } from '@ipp/platform/orm';
import { createTestDatabase, createTestVhost } from '@ipp/platform/testing';
import { createProductApp } from '../app.ts';
import { consumeImageEvents } from '../consumers/image-events.ts';
import { consumeUploadEvents } from '../consumers/upload-events.ts';
import { entities } from '../entities.ts';
import { migrations } from '../migrations/index.ts';

export async function createTestProductApp(label: string) {
  const database = await createTestDatabase(label);
  const orm = await initOrm({ databaseUrl: database.url, schema: 'product', entities, migrations, poolMax: 4 });
  const logger = createLogger({ service: 'product', level: 'silent' });
  const app = createProductApp({ orm, logger, metrics: createMetrics('product'), checks: {} });
  const json = (method: string, path: string, body: unknown) =>
    app.request(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    app,
    orm,
    databaseUrl: database.url,
    json,
    async close() {
      await orm.close();
      await database.drop();
    },
  };
}

/** A valid `image.processed` event for `product`, with a fresh item id. */
export function processedEvent(product: { id: number | null; serial_number: string }): ImageProcessed {
  const itemId = randomUUID();
  return {
    message_id: randomUUID(),
    type: 'image.processed',
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: randomUUID(),
    item_id: itemId,
    product,
    input_url: 'https://images.example/desk.jpg',
    output_key: `outputs/${itemId}.jpg`,
    output_url: `http://localhost:5000/files/outputs/${itemId}.jpg`,
    thumbnail_key: `outputs/${itemId}.thumb.jpg`,
    thumbnail_url: `http://localhost:5000/files/outputs/${itemId}.thumb.jpg`,
    width: 640,
    height: 480,
    format: 'jpeg',
    input_bytes: 120_000,
    output_bytes: 40_000,
  };
}

/**
 * The product app with its event consumers on a vhost of the test file's own, and a publisher to feed them;
 * `imagesOf` reads a product's images through the API.
 */
export async function createConsumerHarness(label: string) {
  const [fixture, vhost] = await Promise.all([createTestProductApp(label), createTestVhost(label)]);
  const logger = createLogger({ service: 'product', level: 'silent' });
  const consumer = createAmqp({ url: vhost.url, logger, prefetch: 4 });
  consumeImageEvents({ amqp: consumer, orm: fixture.orm, logger });
  consumeUploadEvents({ amqp: consumer, orm: fixture.orm, logger });
  const publisher = createAmqp({ url: vhost.url, logger });
  await Promise.all([consumer.connect(), publisher.connect()]);
  return {
    ...fixture,
    publisher,
    imagesOf: async (id: number) =>
      ProductSchema.parse(await (await fixture.app.request(`/api/products/${id}`)).json()).images,
    async close() {
      await Promise.all([consumer.close(), publisher.close()]);
      await Promise.all([fixture.close(), vhost.drop()]);
    },
  };
}
