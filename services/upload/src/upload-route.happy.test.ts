import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, createHarness, csvForm, type Harness } from './testing/harness.ts';

describe.each(STORAGE_DRIVERS)('POST /api/upload (accepted) on %s storage', (driver) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('upload_happy', { driver });
  });
  afterAll(() => harness.close());

  it('answers 202 and writes the request, one item and one outbox job per image, and the products', async () => {
    const csv = `${CSV_HEADER}\nSKU1,Desk,"https://img.test/1.jpg,https://img.test/2.jpg"\nSKU2,Chair,https://img.test/3.jpg\n`;
    const { status, body } = await harness.upload(
      csvForm(csv, { quality: '80', format: 'webp', max_width: '800', webhook_url: 'https://hooks.test/done' }),
    );
    expect(status).toBe(202);
    expect(body).toEqual({
      request_id: expect.any(String),
      status: 'queued',
      total: 3,
      status_url: `/api/status/${body.request_id}`,
    });

    const items = await harness.pool.query(
      'SELECT row_number, position, serial_number, product_name, input_url, status FROM upload.items WHERE request_id = $1 ORDER BY row_number, position',
      [body.request_id],
    );
    expect(items.rows).toEqual([
      {
        row_number: 2,
        position: 0,
        serial_number: 'SKU1',
        product_name: 'Desk',

        input_url: 'https://img.test/1.jpg',
        status: 'queued',
      },
      {
        row_number: 2,
        position: 1,
        serial_number: 'SKU1',
        product_name: 'Desk',

        input_url: 'https://img.test/2.jpg',
        status: 'queued',
      },
      {
        row_number: 3,
        position: 0,
        serial_number: 'SKU2',
        product_name: 'Chair',

        input_url: 'https://img.test/3.jpg',
        status: 'queued',
      },
    ]);
    const jobs = await harness.pool.query<{ routing_key: string; payload: Record<string, unknown> }>(
      "SELECT routing_key, payload FROM upload.outbox WHERE payload->>'request_id' = $1 ORDER BY id",
      [body.request_id],
    );
    expect(jobs.rows).toHaveLength(3);
    expect(jobs.rows[0]?.routing_key).toBe('image.process');
    expect(jobs.rows[0]?.payload).toMatchObject({
      type: 'image.process',
      version: 1,
      request_id: body.request_id,
      source: { kind: 'url', url: 'https://img.test/1.jpg' },
      options: { quality: 80, format: 'webp', max_width: 800, max_height: null },
      product: { id: 1, serial_number: 'SKU1', name: 'Desk' },
    });
    expect(jobs.rows.map((row) => row.payload.product)).toEqual([
      { id: 1, serial_number: 'SKU1', name: 'Desk' },
      { id: 1, serial_number: 'SKU1', name: 'Desk' },
      { id: 2, serial_number: 'SKU2', name: 'Chair' },
    ]);
    expect([...harness.productService.products.keys()]).toEqual(['SKU1', 'SKU2']);
    const webhook = await harness.pool.query(
      'SELECT url, status, attempts FROM upload.webhook_deliveries WHERE request_id = $1',
      [body.request_id],
    );
    expect(webhook.rows).toEqual([{ url: 'https://hooks.test/done', status: 'pending', attempts: 0 }]);
    expect(harness.accepted()).toBeGreaterThan(0);
  });

  it('accepts 1,000 rows in one request without fetching any image', async () => {
    const rows = Array.from({ length: 1000 }, (_, index) => `S${index},Name ${index},http://10.255.255.1/${index}.jpg`);
    const { status, body } = await harness.upload(csvForm(`${CSV_HEADER}\n${rows.join('\n')}\n`));
    expect(status).toBe(202);
    const { request_id } = body;
    const items = await harness.pool.query('SELECT count(*)::int AS count FROM upload.items WHERE request_id = $1', [
      request_id,
    ]);
    expect(items.rows[0].count).toBe(1000);
  });

  it('stores uploaded images under generated keys and queues a file job for each', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c00' } })
      .jpeg()
      .toBuffer();
    const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: '#0c0a' } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('images', new Blob([jpeg], { type: 'image/jpeg' }), '../../evil.jpg');
    form.append('images', new Blob([png], { type: 'application/octet-stream' }), 'photo.png');
    form.set('serial_number', 'IMG-1');
    form.set('name', 'Photographed lamp');
    const { status, body } = await harness.upload(form);
    expect(status).toBe(202);
    const { request_id, total } = body;
    expect(total).toBe(2);

    const jobs = await harness.pool.query<{ payload: { source: { kind: string; key: string; content_type: string } } }>(
      "SELECT payload FROM upload.outbox WHERE payload->>'request_id' = $1 ORDER BY id",
      [request_id],
    );
    const sources = jobs.rows.map((row) => row.payload.source);
    expect(sources.map((source) => [source.kind, source.content_type])).toEqual([
      ['file', 'image/jpeg'],
      ['file', 'image/png'],
    ]);
    for (const source of sources) expect(source.key).toMatch(/^uploads\/[0-9a-f-]{36}\.(jpg|png)$/);
    const served = await harness.request(`/files/${sources[0]?.key}`);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(jpeg)).toBe(true);
    expect(harness.productService.products.get('IMG-1')?.name).toBe('Photographed lamp');
  });
});
