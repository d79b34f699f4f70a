import { randomInt } from 'node:crypto';
import { AppError } from '@ipp/platform';
import type { ObjectStorage } from '@ipp/platform/storage';
import { createTestStorage, storedFiles } from '@ipp/platform/storage/testing';
import { until } from '@ipp/platform/testing';
import { multipartBody, type Part } from '@ipp/platform/testing/multipart';
import { rawRequest, sendAndCut } from '@ipp/platform/testing/sockets';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, createHarness, type Harness } from './testing/harness.ts';
import { readUploadForm } from './upload-form.ts';

// Replay a failure with the seed it printed: UPLOAD_FUZZ_SEED=<seed> npx vitest run <this file>.
const SEED = Number(process.env.UPLOAD_FUZZ_SEED ?? randomInt(2 ** 31));
const RUNS = Number(process.env.UPLOAD_FUZZ_RUNS ?? 400);
const SOCKET_RUNS = Number(process.env.UPLOAD_FUZZ_SOCKET_RUNS ?? 25);

/** mulberry32: a small seeded PRNG, so a failing run can be replayed exactly. */
function prng(seed: number) {
  let state = seed >>> 0;
  return (below: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return Math.floor((((value ^ (value >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

/** A request whose body arrives in random slices and fails, as a reset connection does, after `cut` bytes. */
function cutRequest(body: Buffer, contentType: string, cut: number, random: (below: number) => number) {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= cut) {
        if (cut < body.length) controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        else controller.close();
        return;
      }
      const size = 1 + random(Math.min(cut - sent, 64 * 1024));
      controller.enqueue(body.subarray(sent, sent + size));
      sent += size;
      // Slices land in separate turns of the event loop, as socket reads do.
      if (random(4) === 0) await new Promise((resolve) => setImmediate(resolve));
    },
  });
  return new Request('http://upload.test/api/upload', {
    method: 'POST',
    body: stream,
    headers: { 'content-type': contentType },
    duplex: 'half',
  } as RequestInit);
}

describe(`readUploadForm cut at random offsets (seed ${SEED})`, () => {
  let stored: Awaited<ReturnType<typeof createTestStorage>>;
  let storage: ObjectStorage;
  let forms: Array<ReturnType<typeof multipartBody> & { images: number }>;
  beforeAll(async () => {
    console.log(`upload form fuzz seed: ${SEED} (set UPLOAD_FUZZ_SEED to replay)`);
    stored = await createTestStorage('upload_form');
    storage = stored.storage;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    const image = (name: string): Part => ({
      name: 'images',
      filename: name,
      contentType: 'image/png',
      data: Buffer.concat([png, Buffer.alloc(20_000, 3)]),
    });
    const unknown: Part = { name: 'attachment', filename: 'notes.bin', data: Buffer.alloc(15_000, 9) };
    const csv: Part = {
      name: 'file',
      filename: 'products.csv',
      contentType: 'text/csv',
      data: `${CSV_HEADER}\n${'S1,One,https://img.test/1.jpg\n'.repeat(600)}`,
    };
    const fields: Part[] = [
      { name: 'serial_number', data: 'S1' },
      { name: 'name', data: 'One' },
      { name: 'quality', data: '70' },
    ];
    forms = [
      { ...multipartBody([fields[2] as Part, csv, unknown]), images: 0 },
      { ...multipartBody([...fields, image('a.png'), unknown, image('b.png')]), images: 2 },
    ];
  });
  afterAll(() => stored.close());

  it(`rejects with a 4xx and keeps no file for every cut short of the whole body (${RUNS} runs)`, async () => {
    const random = prng(SEED);
    for (let run = 0; run < RUNS; run += 1) {
      const form = forms[random(forms.length)] as (typeof forms)[number];
      // One run in twenty sends the whole body, which must then be read whole.
      const cut = random(20) === 0 ? form.body.length : random(form.body.length);
      const context = `run ${run}, seed ${SEED}, cut ${cut} of ${form.body.length}`;
      const outcome = await readUploadForm(cutRequest(form.body, form.contentType, cut, random), {
        maxBytes: 1_000_000,
        storage,
      }).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if ('value' in outcome) {
        expect(cut, context).toBe(form.body.length);
        expect(outcome.value.images.length, context).toBe(form.images);
        expect(outcome.value.fields.quality, context).toBe('70');
        expect((await storedFiles(stored.root, 'uploads')).length, context).toBe(form.images);
        await Promise.all(outcome.value.images.map((image) => storage.delete(image.key)));
      } else {
        expect(cut, context).toBeLessThan(form.body.length);
        expect(outcome.error, context).toBeInstanceOf(AppError);
        expect((outcome.error as AppError).status, context).toBeGreaterThanOrEqual(400);
        expect((outcome.error as AppError).status, context).toBeLessThan(500);
      }
      expect(await storedFiles(stored.root, 'uploads'), context).toEqual([]);
    }
  });
});

describe(`POST /api/upload cut at random offsets over a socket (seed ${SEED})`, () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('upload_fuzz');
  });
  afterAll(() => harness.close());

  async function answered() {
    const metric = await harness.metrics.registry.getSingleMetric('http_requests_total')?.get();
    return (metric?.values ?? [])
      .filter((value) => value.labels.route === '/api/upload')
      .reduce((sum, value) => sum + value.value, 0);
  }

  it(`stores nothing and stays up whatever byte the client leaves at (${SOCKET_RUNS} runs)`, async () => {
    const random = prng(SEED + 1);
    const url = `${harness.baseUrl}/api/upload`;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    const form = multipartBody([
      { name: 'serial_number', data: 'S1' },
      { name: 'name', data: 'One' },
      {
        name: 'images',
        filename: 'a.png',
        contentType: 'image/png',
        data: Buffer.concat([png, Buffer.alloc(100_000)]),
      },
      { name: 'attachment', filename: 'x.bin', data: Buffer.alloc(50_000, 1) },
      {
        name: 'images',
        filename: 'b.png',
        contentType: 'image/png',
        data: Buffer.concat([png, Buffer.alloc(100_000)]),
      },
    ]);
    const bytes = rawRequest({ method: 'POST', url, headers: { 'content-type': form.contentType }, body: form.body });
    const head = bytes.length - form.body.length;
    for (let run = 0; run < SOCKET_RUNS; run += 1) {
      const cut = head + random(form.body.length);
      const before = await answered();
      await sendAndCut(url, bytes, cut, random(30));
      await until(async () => (await answered()) > before);
      const context = `run ${run}, seed ${SEED}, cut ${cut} of ${bytes.length}`;
      expect(await harness.storedFiles('uploads'), context).toEqual([]);
    }
    for (const table of ['requests', 'items', 'outbox']) expect(await harness.count(table), table).toBe(0);
    expect(harness.accepted()).toBe(0);
  });
});
