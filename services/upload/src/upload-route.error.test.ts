import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, createHarness, csvForm, type Harness } from './testing/harness.ts';

const GOOD_CSV = `${CSV_HEADER}\nS1,One,https://img.test/1.jpg\n`;

describe.each(STORAGE_DRIVERS)('POST /api/upload (refused) on %s storage', (driver) => {
  let harness: Harness;
  let png: Buffer;
  beforeAll(async () => {
    harness = await createHarness('upload_error', { driver, maxBytes: 64 * 1024, maxRows: 5 });
    png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
  });
  afterAll(() => harness.close());

  afterEach(async () => {
    // Whatever the refusal, nothing is stored.
    for (const table of ['requests', 'items', 'outbox', 'idempotency_keys', 'webhook_deliveries']) {
      expect(await harness.count(table), table).toBe(0);
    }
    expect(await harness.storedFiles('uploads')).toEqual([]);
    expect(harness.productService.calls).toEqual([]);
  });

  it('answers 415 to a body that is not multipart', async () => {
    const { status, body } = await harness.upload(JSON.stringify({ file: GOOD_CSV }), {
      'content-type': 'application/json',
    });
    expect(status).toBe(415);
    expect(body.type).toBe('/problems/unsupported-media-type');
  });

  it('answers 400 naming the row and column of every bad row', async () => {
    const csv = `${CSV_HEADER}\nS1,One,https://img.test/1.jpg\n,Two,https://img.test/2.jpg\nS3,Three,javascript:alert(1)\n`;
    const { status, body } = await harness.upload(csvForm(csv));
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { path: 'row 3, column Serial Number', message: 'is required' },
      { path: 'row 4, column Input Image Urls', message: '"javascript:alert(1)" is not an http(s) URL' },
    ]);
  });

  it('answers 400 beyond CSV_MAX_ROWS', async () => {
    const rows = Array.from({ length: 6 }, (_, index) => `S${index},N,https://img.test/${index}.jpg`).join('\n');
    const { status, body } = await harness.upload(csvForm(`${CSV_HEADER}\n${rows}\n`));
    expect(status).toBe(400);
    expect(body.detail).toContain('at most 5');
  });

  it('answers 400 naming each bad option', async () => {
    const { status, body } = await harness.upload(
      csvForm(GOOD_CSV, { quality: '0', format: 'gif', webhook_url: 'ftp://hooks.test/x', max_width: '1.5' }),
    );
    expect(status).toBe(400);
    expect(body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      'format',
      'max_width',
      'quality',
      'webhook_url',
    ]);
  });

  it('answers 400 to a webhook URL aimed at a private or metadata address', async () => {
    for (const url of ['http://169.254.169.254/latest', 'http://10.0.0.1/hook', 'http://[::ffff:192.168.0.1]/hook']) {
      const { status, body } = await harness.upload(csvForm(GOOD_CSV, { webhook_url: url }));
      expect([status, body.errors?.[0]?.path]).toEqual([400, 'webhook_url']);
    }
  });

  it('answers 413 when the body exceeds UPLOAD_MAX_BYTES, even without a Content-Length', async () => {
    const big = `${CSV_HEADER}\n${'S1,One,https://img.test/1.jpg\n'.repeat(3000)}`;
    const { status } = await harness.upload(csvForm(big));
    expect(status).toBe(413);
    const form = new FormData();
    form.append('images', new Blob([png]), 'a.png');
    form.append('images', new Blob([Buffer.alloc(70 * 1024, 1)]), 'b.png');
    form.set('serial_number', 'S1');
    form.set('name', 'One');
    const stream = new Response(form).body as ReadableStream;
    const contentType = new Response(form).headers.get('content-type') as string;
    const response = await harness.request('/api/upload', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': contentType },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('answers 415 to a CSV field holding an image, and to image files that are not images', async () => {
    const form = new FormData();
    form.set('file', new Blob([png], { type: 'text/csv' }), 'products.csv');
    expect((await harness.upload(form)).status).toBe(415);

    const images = new FormData();
    images.append('images', new Blob([png], { type: 'image/png' }), 'good.png');
    images.append('images', new Blob(['<svg xmlns="http://www.w3.org/2000/svg"/>'], { type: 'image/png' }), 'bäd.png');
    images.set('serial_number', 'S1');
    images.set('name', 'One');
    const { status, body } = await harness.upload(images);
    expect(status).toBe(415);
    expect(body.detail).toContain('"bäd.png"');
  });

  it('answers 400 to images without a product, to both a CSV and images, and to neither', async () => {
    const images = new FormData();
    images.append('images', new Blob([png]), 'a.png');
    images.set('name', 'One');
    const missing = await harness.upload(images);
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ path: 'serial_number', message: 'serial_number is required' }]);

    const both = csvForm(GOOD_CSV);
    both.append('images', new Blob([png]), 'a.png');
    expect((await harness.upload(both)).status).toBe(400);

    const neither = new FormData();
    neither.set('quality', '50');
    expect((await harness.upload(neither)).status).toBe(400);
  });

  if (driver === 's3') {
    it('answers 503 to images while the S3 server is away, storing nothing', async () => {
      const form = () => {
        const images = new FormData();
        images.set('serial_number', 'S1');
        images.set('name', 'One');
        images.append('images', new Blob([png], { type: 'image/png' }), 'a.png');
        return images;
      };
      await harness.s3?.stop();
      try {
        const { status, body } = await harness.upload(form());
        expect(status).toBe(503);
        expect(body.detail).toBe('The image could not be stored; try again later');
      } finally {
        await harness.s3?.start();
      }
    });
  }

  it('answers 400 to a malformed Idempotency-Key', async () => {
    const { status } = await harness.upload(csvForm(GOOD_CSV), { 'idempotency-key': 'has spaces' });
    expect(status).toBe(400);
  });

  it('answers 503 and stores nothing when the product service is unreachable (kept last: it stops the stand-in)', async () => {
    await harness.productService.close();
    const { status, body } = await harness.upload(csvForm(GOOD_CSV, { webhook_url: 'https://hooks.test/x' }));
    expect(status).toBe(503);
    expect(body.type).toBe('/problems/unavailable');
  });
});
