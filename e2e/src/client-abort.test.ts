import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadAcceptedSchema, UploadStatusSchema } from '@ipp/contracts';
import { multipartBody, type Part } from '@ipp/platform/testing/multipart';
import { rawRequest, readAndCut, sendAndCut, trickle } from '@ipp/platform/testing/sockets';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrls, expectAllAlive, processIds } from './alive.ts';
import { until } from './servers.ts';
import { type ServiceName, type Stack, startStack } from './stack.ts';

const SERVICES = ['product', 'upload', 'image-worker', 'health', 'gateway'] as const satisfies ServiceName[];
const CSV = `Serial Number,Product Name,Input Image Urls\n${'S1,One,https://img.test/1.jpg\n'.repeat(5000)}`;

describe('clients that go away or crawl cannot crash a service', () => {
  let stack: Stack;
  let pids: Record<string, number | undefined>;
  let png: Buffer;
  // Where each service answers directly (the gateway on its public port).
  let direct: Record<(typeof SERVICES)[number], string>;

  beforeAll(async () => {
    stack = await startStack({
      label: 'e2e_abort',
      services: SERVICES,
      env: { HTTP_REQUEST_TIMEOUT_MS: '2000', UPLOAD_MAX_BYTES: '5000000' },
    });
    pids = processIds(stack, SERVICES);
    direct = { ...adminUrls(stack), gateway: stack.gatewayUrl };
    // Noise compresses badly: a PNG of a few MB, so serving it takes many writes.
    png = await sharp({
      create: {
        width: 1200,
        height: 1200,
        channels: 3,
        background: '#888',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
  }, 120_000);
  afterAll(() => stack?.stop());

  /** Stored uploads and half-written files (the fs driver stages writes in tmp/ and renames them into place). */
  async function filesLeft() {
    const list = (folder: string) => readdir(join(stack.storageDir, folder)).catch(() => [] as string[]);
    const staged = (await list('tmp')).filter((name) => name.endsWith('.part'));
    return [...(await list('uploads')), ...staged];
  }

  async function expectNothingStored() {
    // Requests, items and outbox rows are written in one transaction: no request, no job.
    const list = (await (await fetch(`${stack.gatewayUrl}/api/uploads`)).json()) as { total: number };
    expect(list.total).toBe(0);
    expect(await filesLeft()).toEqual([]);
  }

  const fields: Part[] = [
    { name: 'serial_number', data: 'S1' },
    { name: 'name', data: 'One' },
  ];
  const csvPart = (data = CSV): Part => ({ name: 'file', filename: 'p.csv', contentType: 'text/csv', data });
  const imagePart = (filename: string): Part => ({ name: 'images', filename, contentType: 'image/png', data: png });
  // Built when called: the image exists only once beforeAll has run.
  const cases = (): Array<{ label: string; parts: Part[]; cutIn: number }> => [
    { label: 'the CSV file', parts: [csvPart()], cutIn: 0 },
    { label: 'the second of two images', parts: [...fields, imagePart('a.png'), imagePart('b.png')], cutIn: 3 },
    { label: 'an unknown part', parts: [csvPart('x'), { name: 'other', filename: 'o.bin', data: png }], cutIn: 1 },
    { label: 'a refused second CSV', parts: [csvPart('x'), csvPart()], cutIn: 1 },
    { label: 'a text field', parts: [csvPart('x'), { name: 'webhook_url', data: 'h'.repeat(60_000) }], cutIn: 1 },
  ];

  for (const target of ['upload', 'gateway'] as const) {
    it(`survives uploads cut in the middle of every kind of part, sent to the ${target}`, async () => {
      const url = `${direct[target]}/api/upload`;
      for (const { parts, cutIn } of cases()) {
        const form = multipartBody(parts);
        const bytes = rawRequest({
          method: 'POST',
          url,
          headers: { 'content-type': form.contentType },
          body: form.body,
        });
        const range = form.ranges[cutIn] as { start: number; end: number };
        const head = bytes.length - form.body.length;
        await sendAndCut(url, bytes, head + Math.floor((range.start + range.end) / 2), 100);
        // Cut in the request headers and in a part's headers too.
        await sendAndCut(url, bytes, 30);
        await sendAndCut(url, bytes, head + 20);
      }
      // The service has cleaned up once its half-written files are gone; none may stay.
      await until(async () => (await filesLeft()).length === 0);
      await expectNothingStored();
      await expectAllAlive(stack, pids);
    });
  }

  it('survives requests cut in their headers, their bodies and their answers, on every service', async () => {
    for (const name of SERVICES) {
      const base = name === 'gateway' ? stack.gatewayUrl : direct[name];
      const post = rawRequest({
        method: 'POST',
        url: `${base}/api/products`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serial_number: 'S-cut', name: 'n'.repeat(50_000) }),
      });
      await sendAndCut(base, post, 20);
      await sendAndCut(base, post, post.length - 1000, 100);
      const scrape = name === 'gateway' ? stack.env.GATEWAY_ADMIN_URL : base;
      await readAndCut(scrape as string, rawRequest({ method: 'GET', url: `${scrape}/metrics` }), 200);
    }
    await readAndCut(stack.gatewayUrl, rawRequest({ method: 'GET', url: `${stack.gatewayUrl}/health/detailed` }), 100);
    await expectAllAlive(stack, pids);
    const products = (await (await fetch(`${stack.gatewayUrl}/api/products?search=S-cut`)).json()) as { total: number };
    expect(products.total).toBe(0);
  });

  it('answers 408 to a body trickled past HTTP_REQUEST_TIMEOUT_MS, directly and through the gateway', async () => {
    for (const target of ['upload', 'gateway'] as const) {
      const url = `${direct[target]}/api/upload`;
      const form = multipartBody([...fields, imagePart('slow.png')]);
      const bytes = rawRequest({ method: 'POST', url, headers: { 'content-type': form.contentType }, body: form.body });
      const firstBytes = bytes.length - form.body.length + (form.ranges[2] as { start: number }).start + 5000;
      const { answer, sent } = await trickle(url, bytes, { intervalMs: 200, chunkBytes: 100, firstBytes });
      expect(sent).toBeLessThan(bytes.length);
      expect(answer, target).toMatch(/^HTTP\/1\.1 408 /);
    }
    await until(async () => (await filesLeft()).length === 0);
    await expectNothingStored();
    await expectAllAlive(stack, pids);
  });

  it('answers 413 to a body declared larger than the limit, and 4xx to parts it does not expect', async () => {
    const url = `${stack.gatewayUrl}/api/upload`;
    const huge = rawRequest({
      method: 'POST',
      url,
      headers: { 'content-type': 'multipart/form-data; boundary=b', 'content-length': '90000000' },
      body: Buffer.alloc(10_000),
    });
    expect(await sendAndCut(url, huge, huge.length, 300)).toMatch(/^HTTP\/1\.1 413 /);
    const odd = new FormData();
    odd.set('surprise', new Blob([png], { type: 'application/x-unknown' }), 'a.png');
    odd.set('images', new Blob(['not an image'], { type: 'image/png' }), 'b.png');
    const response = await fetch(url, { method: 'POST', body: odd });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await expectNothingStored();
    await expectAllAlive(stack, pids);
  });

  it('accepts a normal upload afterwards, and survives clients that leave while its files and output CSV stream', async () => {
    const form = new FormData();
    form.set('serial_number', 'S-ok');
    form.set('name', 'After the aborts');
    form.append('images', new Blob([png], { type: 'image/png' }), 'big.png');
    const response = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const { request_id: requestId } = UploadAcceptedSchema.parse(await response.json());
    const status = await until(
      async () => {
        const body = UploadStatusSchema.parse(
          await (await fetch(`${stack.gatewayUrl}/api/status/${requestId}`)).json(),
        );
        return body.status === 'completed' ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const item = status.items[0];
    const files = [item?.input_url, item?.output_url].map((url) => new URL(url as string).pathname);
    for (const base of [stack.gatewayUrl, direct.upload]) {
      for (const path of [...files, `/api/uploads/${requestId}/output.csv`]) {
        await readAndCut(base, rawRequest({ method: 'GET', url: `${base}${path}` }), 100);
      }
      const whole = await fetch(`${base}${files[0]}`);
      expect(Buffer.from(await whole.arrayBuffer()).equals(png)).toBe(true);
    }
    await expectAllAlive(stack, pids);
  }, 90_000);
});
