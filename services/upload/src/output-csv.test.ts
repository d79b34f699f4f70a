import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { csvKey, type ObjectStorage } from '@ipp/platform/storage';
import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputCsvRecords, writeOutputCsv } from './output-csv.ts';
import { createHarness, type Harness } from './testing/harness.ts';

/** The chunk already taken from an iterator, then the rest of it. */
async function* chain(first: unknown, rest: AsyncIterator<unknown>) {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

describe.each(STORAGE_DRIVERS)('the output CSV on %s storage', (driver) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('upload_output_csv', { driver });
  });
  afterAll(() => harness.close());

  /** A request of `rows` CSV rows with `perRow` image URLs each, written as finished: every second image failed. */
  async function request(rows: number, perRow: number) {
    const id = crypto.randomUUID();
    await harness.pool.query(
      `INSERT INTO upload.requests (id, kind, status, total, options) VALUES ($1, 'csv', 'completed_with_errors', $2, '{}')`,
      [id, rows * perRow],
    );
    await harness.pool.query(
      `INSERT INTO upload.items (id, request_id, row_number, position, serial_number, product_name, input_url, status,
         output_url)
       SELECT gen_random_uuid(), $1, 2 + n / $3, n % $3, 'S' || (2 + n / $3), 'Product ' || (2 + n / $3),
         'https://img.test/' || n || '.jpg', CASE WHEN n % $3 = 1 THEN 'failed' ELSE 'done' END,
         'https://out.test/' || n || '.jpg'
       FROM generate_series(0, $2 - 1) AS n`,
      [id, rows * perRow, perRow],
    );
    return id;
  }

  const expectedLines = async (requestId: string) => {
    const { rows } = await harness.pool.query<{ line: string }>(
      `SELECT serial_number || ',' || product_name || ',"' || string_agg(input_url, ',' ORDER BY position) || '","' ||
         string_agg(CASE WHEN status = 'done' THEN output_url ELSE '' END, ',' ORDER BY position) || '"' AS line
       FROM upload.items WHERE request_id = $1 GROUP BY row_number, serial_number, product_name ORDER BY row_number`,
      [requestId],
    );
    return ['Serial Number,Product Name,Input Image Urls,Output Image Urls', ...rows.map((row) => row.line)];
  };

  it('keeps each row whole when its images fall on both sides of a page', async () => {
    const requestId = await request(3, 3);
    const records = [];
    for await (const record of outputCsvRecords(harness.pool, requestId, 2)) records.push(record);
    expect(records).toHaveLength(4);
    expect(records[2]).toEqual([
      'S3',
      'Product 3',
      'https://img.test/3.jpg,https://img.test/4.jpg,https://img.test/5.jpg',
      'https://out.test/3.jpg,,https://out.test/5.jpg',
    ]);
  });

  it('streams a 10,000-row CSV into storage, whole and in order', async () => {
    const requestId = await request(10_000, 2);
    await writeOutputCsv(harness.pool, requestId, harness.storage);
    const stored = await harness.storage.get(csvKey(requestId));
    if (!stored) throw new Error('no output CSV stored');
    expect(stored.contentType).toBe('text/csv; charset=utf-8');
    const lines = (await text(stored.body)).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(await expectedLines(requestId));
  });

  it('hands storage its first bytes before half the items are read, not once the whole CSV is built', async () => {
    const requestId = await request(10_000, 2);
    let queries = 0;
    const counting = {
      query: (...args: Parameters<Harness['pool']['query']>) => {
        queries += 1;
        return harness.pool.query(...args);
      },
    } as unknown as Harness['pool'];
    let queriesAtFirstBytes = 0;
    const watching: ObjectStorage = {
      ...harness.storage,
      async put(key, body, options) {
        const chunks = (body as Readable)[Symbol.asyncIterator]();
        const first = await chunks.next();
        // Time for a CSV built whole to read every page before this put reads on.
        await new Promise((resolve) => setTimeout(resolve, 300));
        queriesAtFirstBytes = queries;
        await harness.storage.put(key, Readable.from(chain(first.value, chunks)), options);
      },
    };
    await writeOutputCsv(counting, requestId, watching);
    // 20,000 items are 21 queries of 1,000 (about 1 MB of CSV); the streams between hold what their
    // 64 KiB high-water marks let them, a fifth of it, ahead of storage.
    expect(queries).toBe(21);
    expect(queriesAtFirstBytes).toBeLessThanOrEqual(10);
    const stored = await harness.storage.get(csvKey(requestId));
    expect(stored && (await text(stored.body)).split('\n').slice(0, -1)).toEqual(await expectedLines(requestId));
  });

  it('stores nothing when the items cannot be read', async () => {
    const requestId = crypto.randomUUID();
    const broken = { query: () => Promise.reject(new Error('connection terminated')) } as unknown as Harness['pool'];
    await expect(writeOutputCsv(broken, requestId, harness.storage)).rejects.toThrow('connection terminated');
    expect(await harness.storage.head(csvKey(requestId))).toBeUndefined();
  });
});
