import {
  ProblemSchema,
  ProductListSchema,
  UploadAcceptedSchema,
  type UploadStatus,
  UploadStatusSchema,
} from '@ipp/contracts';
import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { animatedGif, cmykJpeg, jpegWithExifOrientation, pngWithAlpha, webp } from './fixtures.ts';
import { startImageServer, startWebhookReceiver, until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';

const FINAL = ['completed', 'completed_with_errors', 'failed'];

describe.each(STORAGE_DRIVERS)('the image pipeline through the gateway on %s storage', (driver) => {
  let stack: Stack;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const inputs: Record<string, Buffer> = {};

  const api = (path: string, init?: RequestInit) => fetch(`${stack.gatewayUrl}${path}`, init);
  const upload = (form: FormData, headers: Record<string, string> = {}) =>
    api('/api/upload', { method: 'POST', body: form, headers });
  const csvForm = (csv: string, fields: Record<string, string> = {}) => {
    const form = new FormData();
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    return form;
  };
  const finished = async (requestId: string) =>
    until(
      async () => {
        const status = UploadStatusSchema.parse(await (await api(`/api/status/${requestId}`)).json());
        return FINAL.includes(status.status) ? status : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  const uploadCount = async () => ((await (await api('/api/uploads?per_page=1')).json()) as { total: number }).total;

  beforeAll(async () => {
    inputs['/exif.jpg'] = await jpegWithExifOrientation();
    inputs['/cmyk.jpg'] = await cmykJpeg();
    inputs['/alpha.png'] = await pngWithAlpha();
    inputs['/photo.webp'] = await webp();
    inputs['/anim.gif'] = await animatedGif();
    const types: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };
    images = await startImageServer(
      Object.fromEntries(
        Object.entries(inputs).map(([path, body]) => [path, { body, type: types[path.split('.').pop() ?? ''] ?? '' }]),
      ),
    );
    receiver = await startWebhookReceiver({ failFirst: 1 });
    stack = await startStack({
      label: 'e2e_pipeline',
      storage: driver,
      services: ['product', 'upload', 'image-worker', 'gateway'],
      env: { CSV_MAX_ROWS: '50' },
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await images?.close();
    await receiver?.close();
  });

  describe('a CSV of several products and images', () => {
    let status: UploadStatus;
    let requestId: string;

    beforeAll(async () => {
      const csv = [
        'Serial Number,Product Name,Input Image Urls',
        `E2E-A,Walnut Desk,"${images.url}/exif.jpg,${images.url}/cmyk.jpg"`,
        `E2E-B,Oak Chair,"${images.url}/alpha.png,${images.url}/photo.webp"`,
        `E2E-C,Brass Lamp,"${images.url}/anim.gif,${images.url}/missing.jpg"`,
      ].join('\r\n');
      const response = await upload(csvForm(csv, { webhook_url: `${receiver.url}/hook` }));
      expect(response.status).toBe(202);
      const accepted = UploadAcceptedSchema.parse(await response.json());
      expect(accepted).toMatchObject({ status: 'queued', total: 6, status_url: `/api/status/${accepted.request_id}` });
      requestId = accepted.request_id;
      status = await finished(requestId);
    }, 90_000);

    it('finishes with every good image done and the missing one failed with a reason', () => {
      expect(status).toMatchObject({ status: 'completed_with_errors', total: 6, processed: 5, failed: 1, progress: 1 });
      const failed = status.items.filter((item) => item.status === 'failed');
      expect(failed.map((item) => item.input_url)).toEqual([`${images.url}/missing.jpg`]);
      expect(failed[0]?.error).toMatch(/404/);
    });

    it('stores outputs that are oriented, stripped, sRGB, in the source format and smaller', async () => {
      const byPath = (path: string) => status.items.find((item) => item.input_url === `${images.url}${path}`);
      const output = async (path: string) => {
        const url = byPath(path)?.output_url;
        expect(url).toBeTruthy();
        const response = await fetch(url ?? '');
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toContain('immutable');
        const bytes = Buffer.from(await response.arrayBuffer());
        return { bytes, type: response.headers.get('content-type'), metadata: await sharp(bytes).metadata() };
      };

      const oriented = await output('/exif.jpg');
      expect(oriented.type).toBe('image/jpeg');
      expect([oriented.metadata.width, oriented.metadata.height]).toEqual([480, 640]);
      expect(oriented.metadata.exif).toBeUndefined();
      expect(oriented.metadata.orientation).toBeUndefined();
      expect(oriented.bytes.length).toBeLessThan(inputs['/exif.jpg']?.length ?? 0);

      const cmyk = await output('/cmyk.jpg');
      expect(cmyk.metadata.space).toBe('srgb');
      expect(cmyk.bytes.length).toBeLessThan(inputs['/cmyk.jpg']?.length ?? 0);

      const alpha = await output('/alpha.png');
      expect(alpha.metadata.format).toBe('png');
      expect(alpha.metadata.hasAlpha).toBe(true);

      expect((await output('/photo.webp')).metadata.format).toBe('webp');

      const gif = await output('/anim.gif');
      expect(gif.metadata.format).toBe('gif');
      expect(gif.metadata.pages).toBe(2);

      const thumbnail = byPath('/exif.jpg')?.thumbnail_url ?? '';
      const thumbMetadata = await sharp(Buffer.from(await (await fetch(thumbnail)).arrayBuffer())).metadata();
      expect(thumbMetadata.format).toBe('webp');
      expect(Math.max(thumbMetadata.width ?? 0, thumbMetadata.height ?? 0)).toBeLessThanOrEqual(320);
    });

    it('writes the output CSV with the input rows in order and an empty slot for the failed image', async () => {
      const response = await api(`/api/uploads/${requestId}/output.csv`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/csv');
      const lines = (await response.text()).trim().split(/\r?\n/);
      expect(lines[0]).toBe('Serial Number,Product Name,Input Image Urls,Output Image Urls');
      const outputsOf = (serial: string) =>
        status.items.filter((item) => item.serial_number === serial).map((item) => item.output_url ?? '');
      expect(lines.slice(1)).toEqual([
        `E2E-A,Walnut Desk,"${images.url}/exif.jpg,${images.url}/cmyk.jpg","${outputsOf('E2E-A').join(',')}"`,
        `E2E-B,Oak Chair,"${images.url}/alpha.png,${images.url}/photo.webp","${outputsOf('E2E-B').join(',')}"`,
        `E2E-C,Brass Lamp,"${images.url}/anim.gif,${images.url}/missing.jpg","${outputsOf('E2E-C')[0]},"`,
      ]);
    });

    it('delivers a webhook with a valid Standard Webhooks signature, retried after a failure', async () => {
      const deliveries = await until(() => (receiver.received.length >= 2 ? receiver.received : undefined));
      const last = deliveries.at(-1);
      const payload = new Webhook(stack.env.WEBHOOK_SECRET ?? '').verify(
        last?.body ?? '',
        last?.headers as Record<string, string>,
      ) as Record<string, unknown>;
      expect(payload).toMatchObject({
        type: 'upload.completed',
        request_id: requestId,
        status: 'completed_with_errors',
      });
      expect(deliveries[0]?.headers['webhook-id']).toBe(last?.headers['webhook-id']);
      // The receiver records a delivery before it answers; the status shows it once the answer is back.
      const after = await until(async () => {
        const current = UploadStatusSchema.parse(await (await api(`/api/status/${requestId}`)).json());
        return current.webhook?.status === 'delivered' ? current : undefined;
      });
      expect(after.webhook).toEqual({ url: `${receiver.url}/hook`, status: 'delivered', attempts: 2 });
      expect(receiver.received).toHaveLength(2);
    });

    it('creates the products and lists their processed images', async () => {
      const product = await until(
        async () => {
          const list = ProductListSchema.parse(await (await api('/api/products?search=E2E-A')).json());
          return list.items[0]?.images.length === 2 ? list.items[0] : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect(product.name).toBe('Walnut Desk');
      expect(product.images.map((image) => image.output_url).sort()).toEqual(
        status.items
          .filter((item) => item.serial_number === 'E2E-A')
          .map((item) => item.output_url)
          .sort(),
      );
    });
  });

  it('processes image files uploaded directly, in the requested format and size', async () => {
    const form = new FormData();
    form.append('images', new Blob([inputs['/alpha.png'] ?? Buffer.alloc(0)], { type: 'image/png' }), 'a.png');
    form.append('images', new Blob([inputs['/exif.jpg'] ?? Buffer.alloc(0)], { type: 'image/jpeg' }), 'b.jpg');
    form.set('serial_number', 'E2E-FILES');
    form.set('name', 'Uploaded Files');
    form.set('format', 'webp');
    form.set('max_width', '200');
    const response = await upload(form);
    expect(response.status).toBe(202);
    const status = await finished(UploadAcceptedSchema.parse(await response.json()).request_id);
    expect(status.status).toBe('completed');
    for (const item of status.items) {
      const metadata = await sharp(Buffer.from(await (await fetch(item.output_url ?? '')).arrayBuffer())).metadata();
      expect(metadata.format).toBe('webp');
      expect(metadata.width).toBeLessThanOrEqual(200);
    }
  });

  it('deletes a finished upload: its status, every file it stored and its images on the product go', async () => {
    const form = new FormData();
    form.append('images', new Blob([inputs['/alpha.png'] ?? Buffer.alloc(0)], { type: 'image/png' }), 'a.png');
    form.append('images', new Blob([inputs['/photo.webp'] ?? Buffer.alloc(0)], { type: 'image/webp' }), 'b.webp');
    form.set('serial_number', 'E2E-DELETE');
    form.set('name', 'Deleted Upload');
    const accepted = UploadAcceptedSchema.parse(await (await upload(form)).json());
    const status = await finished(accepted.request_id);
    expect(status.status).toBe('completed');
    const productImages = async () =>
      ProductListSchema.parse(await (await api('/api/products?search=E2E-DELETE')).json()).items[0]?.images ?? [];
    await until(async () => ((await productImages()).length === 2 ? true : undefined), { timeoutMs: 15_000 });
    const urls = status.items.flatMap((item) => [item.input_url, item.output_url ?? '', item.thumbnail_url ?? '']);
    for (const url of urls) expect((await fetch(url)).status).toBe(200);

    const deleted = await api(`/api/uploads/${accepted.request_id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('ratelimit-remaining')).not.toBeNull();
    expect((await api(`/api/status/${accepted.request_id}`)).status).toBe(404);
    expect((await api(`/api/uploads/${accepted.request_id}/output.csv`)).status).toBe(404);
    for (const url of urls) expect((await fetch(url)).status).toBe(404);
    await until(async () => ((await productImages()).length === 0 ? true : undefined), { timeoutMs: 15_000 });
    expect((await api(`/api/uploads/${accepted.request_id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('returns the same request for the same Idempotency-Key and body', async () => {
    const csv = `Serial Number,Product Name,Input Image Urls\nE2E-IDEM,Idem,${images.url}/photo.webp\n`;
    const first = await upload(csvForm(csv), { 'idempotency-key': 'e2e-key-1' });
    const second = await upload(csvForm(csv), { 'idempotency-key': 'e2e-key-1' });
    const firstBody = UploadAcceptedSchema.parse(await first.json());
    const secondBody = UploadAcceptedSchema.parse(await second.json());
    expect(secondBody.request_id).toBe(firstBody.request_id);
  });

  describe('a bad CSV is refused whole, naming each problem, and creates nothing', () => {
    const header = 'Serial Number,Product Name,Input Image Urls';
    const cases: Array<[string, () => string, RegExp]> = [
      ['a missing column', () => 'Serial Number,Input Image Urls\nX-1,http://a.test/x.jpg', /missing column/],
      ['a missing product name', () => `${header}\nX-1,,http://a.test/x.jpg`, /row 2, column Product Name/],
      ['a non-http URL', () => `${header}\nX-1,Thing,ftp://a.test/x.jpg`, /row 2, column Input Image Urls/],
      [
        'an invalid URL',
        () => `${header}\nX-1,Thing,"http://a.test/x.jpg,not a url"`,
        /row 2, column Input Image Urls/,
      ],
      [
        'a duplicate serial with another name',
        () => `${header}\nX-1,Thing,http://a.test/1.jpg\nX-1,Other,http://a.test/2.jpg`,
        /row 3, column Product Name/,
      ],
      ['no data rows', () => header, /file/],
      [
        'more rows than CSV_MAX_ROWS',
        () => [header, ...Array.from({ length: 51 }, (_, i) => `X-${i},Thing,http://a.test/${i}.jpg`)].join('\n'),
        /file/,
      ],
    ];
    for (const [name, csv, expected] of cases) {
      it(`refuses ${name}`, async () => {
        const before = await uploadCount();
        const response = await upload(csvForm(csv()));
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        const problem = ProblemSchema.parse(await response.json());
        expect(problem.errors?.map((error) => `${error.path}: ${error.message}`).join('\n')).toMatch(expected);
        expect(await uploadCount()).toBe(before);
      });
    }

    it('reports every bad row of one CSV in one answer', async () => {
      const csv = `${header}\nX-1,,http://a.test/1.jpg\nX-2,Fine,http://a.test/2.jpg\nX-3,Thing,gopher://a.test/3`;
      const problem = ProblemSchema.parse(await (await upload(csvForm(csv))).json());
      const paths = problem.errors?.map((error) => error.path) ?? [];
      expect(paths).toEqual(expect.arrayContaining(['row 2, column Product Name', 'row 4, column Input Image Urls']));
      expect(paths.some((path) => path.startsWith('row 3'))).toBe(false);
    });

    it('answers 415 to a body that is not multipart', async () => {
      const response = await api('/api/upload', {
        method: 'POST',
        body: 'a,b',
        headers: { 'content-type': 'text/csv' },
      });
      expect(response.status).toBe(415);
    });
  });
});
