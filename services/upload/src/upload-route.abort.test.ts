import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { until } from '@ipp/platform/testing';
import { multipartBody, type Part } from '@ipp/platform/testing/multipart';
import { rawRequest, sendAndCut, trickle } from '@ipp/platform/testing/sockets';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, createHarness, csvForm, type Harness } from './testing/harness.ts';

const ROWS = `${CSV_HEADER}\n${'S1,One,https://img.test/1.jpg\n'.repeat(4000)}`;

describe.each(STORAGE_DRIVERS)('POST /api/upload (client goes away) on %s storage', (driver) => {
  let harness: Harness;
  let png: Buffer;
  beforeAll(async () => {
    harness = await createHarness('upload_abort', { driver, maxBytes: 2_000_000, requestTimeoutMs: 1500 });
    const small = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0f0' } })
      .png()
      .toBuffer();
    // Padding after the image keeps the part streaming long enough to be cut in its middle.
    png = Buffer.concat([small, Buffer.alloc(300_000, 7)]);
  });
  afterAll(() => harness.close());

  afterEach(async () => {
    // Whatever was cut, nothing is stored: no file, no row, no job.
    for (const table of ['requests', 'items', 'outbox', 'idempotency_keys']) {
      expect(await harness.count(table), table).toBe(0);
    }
    expect(await harness.storedFiles('uploads')).toEqual([]);
    expect(harness.accepted()).toBe(0);
    expect((await harness.request('/api/uploads')).status).toBe(200);
  });

  const uploadUrl = () => `${harness.baseUrl}/api/upload`;

  /** Upload requests the app has finished answering (an aborted one is answered to nobody). */
  async function answered() {
    const metric = await harness.metrics.registry.getSingleMetric('http_requests_total')?.get();
    return (metric?.values ?? [])
      .filter((value) => value.labels.route === '/api/upload')
      .reduce((sum, value) => sum + value.value, 0);
  }

  /** The raw bytes of an upload of `parts`, and where its body starts (`head`). */
  function uploadRequest(parts: Part[]) {
    const form = multipartBody(parts);
    const bytes = rawRequest({
      method: 'POST',
      url: uploadUrl(),
      headers: { 'content-type': form.contentType },
      body: form.body,
    });
    return { form, bytes, head: bytes.length - form.body.length };
  }

  /** Sends the form and cuts the connection halfway through the data of the part named `cutIn`. */
  async function cutInPart(parts: Part[], cutIn: number) {
    const { form, bytes, head } = uploadRequest(parts);
    const range = form.ranges[cutIn] as { start: number; end: number };
    const before = await answered();
    await sendAndCut(uploadUrl(), bytes, head + Math.floor((range.start + range.end) / 2));
    // The app finishes the request it was reading, and cleans up before answering.
    await until(async () => (await answered()) > before);
  }

  const csvPart = (data = ROWS): Part => ({ name: 'file', filename: 'products.csv', contentType: 'text/csv', data });
  const fields: Part[] = [
    { name: 'serial_number', data: 'S1' },
    { name: 'name', data: 'One' },
  ];

  it('cuts in the middle of the CSV file part', async () => {
    await cutInPart([{ name: 'quality', data: '80' }, csvPart()], 1);
  });

  it('cuts in the middle of an images part, after an earlier image was stored', async () => {
    const image = { name: 'images', filename: 'a.png', contentType: 'image/png', data: png };
    await cutInPart([...fields, image, { ...image, filename: 'b.png' }], 3);
  });

  it('cuts in the middle of a part whose field name the service does not know', async () => {
    await cutInPart([csvPart('x'), { name: 'attachment', filename: 'x.bin', data: Buffer.alloc(300_000, 1) }], 1);
  });

  it('cuts in the middle of a part with no name at all', async () => {
    const form = multipartBody([csvPart('x'), { name: 'x', filename: 'x.bin', data: Buffer.alloc(300_000, 1) }]);
    const bytes = rawRequest({
      method: 'POST',
      url: uploadUrl(),
      headers: { 'content-type': form.contentType },
      body: Buffer.from(form.body.toString('latin1').replace('form-data; name="x"; ', 'form-data; '), 'latin1'),
    });
    const before = await answered();
    await sendAndCut(uploadUrl(), bytes, bytes.length - 100_000);
    await until(async () => (await answered()) > before);
  });

  it('cuts in the middle of a refused part (a second CSV)', async () => {
    await cutInPart([csvPart(`${CSV_HEADER}\nS1,One,https://img.test/1.jpg\n`), csvPart()], 1);
  });

  it('cuts in the middle of an images part refused for following a CSV', async () => {
    await cutInPart([csvPart('x'), { name: 'images', filename: 'a.png', data: png }], 1);
  });

  it('cuts in the middle of a text field', async () => {
    await cutInPart([csvPart('x'), { name: 'webhook_url', data: 'a'.repeat(60_000) }], 1);
  });

  it('cuts in the middle of a part header and in the middle of the request headers', async () => {
    const { bytes, head } = uploadRequest([csvPart()]);
    const before = await answered();
    await sendAndCut(uploadUrl(), bytes, head + 30);
    await until(async () => (await answered()) > before);
    await sendAndCut(uploadUrl(), bytes, 40);
    await sendAndCut(uploadUrl(), bytes, head);
  });

  it('cuts a body declared larger than the limit', async () => {
    const bytes = rawRequest({
      method: 'POST',
      url: uploadUrl(),
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '900000000' },
      body: Buffer.alloc(100_000, 1),
    });
    const answer = await sendAndCut(uploadUrl(), bytes, bytes.length);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('answers 415 at once to an images part that is not an image, while the rest of the body is still coming', async () => {
    const { bytes } = uploadRequest([
      ...fields,
      { name: 'images', filename: 'a.png', data: Buffer.alloc(10_000, 1) },
      { name: 'attachment', filename: 'b.bin', data: Buffer.alloc(300_000, 2) },
    ]);
    const answer = await sendAndCut(uploadUrl(), bytes, bytes.length - 200_000, 500);
    expect(answer).toMatch(/^HTTP\/1\.1 415 /);
  });

  it('answers 408 to a body trickled beyond the request timeout, and keeps none of it', async () => {
    const { form, bytes, head } = uploadRequest([
      ...fields,
      { name: 'images', filename: 'a.png', contentType: 'image/png', data: png },
    ]);
    const before = await answered();
    // The headers and the start of the image at once, then a trickle: a half-written image part is on disk.
    const start = (form.ranges[2] as { start: number }).start + 1000;
    const { answer, sent } = await trickle(uploadUrl(), bytes, { intervalMs: 100, firstBytes: head + start });
    expect(sent).toBeLessThan(bytes.length);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    await until(async () => (await answered()) > before);
  });

  it('still accepts a whole upload afterwards, on the same server', async () => {
    const { status } = await harness.upload(csvForm(`${CSV_HEADER}\nS1,One,https://img.test/1.jpg\n`));
    expect(status).toBe(202);
    // Leave the tables as the other cases expect them.
    await harness.pool.query('TRUNCATE upload.requests, upload.items, upload.outbox, upload.idempotency_keys CASCADE');
    harness.accepted = () => 0;
  });
});
