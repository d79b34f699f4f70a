import { pipeline, Readable, Transform } from 'node:stream';
import { csvKey, type ObjectStorage } from '@ipp/platform/storage';
import { withSpan } from '@ipp/platform/telemetry';
import { stringify } from 'csv-stringify';
import { COLUMNS } from './csv-parser.ts';
import type { Queryable } from './database.ts';

/** Items read per query: a 10,000-row CSV is written a page at a time, never held whole. */
const PAGE_SIZE = 1000;

type ItemRow = {
  row_number: number;
  position: number;
  serial_number: string;
  product_name: string;
  input_url: string;
  output_url: string | null;
  status: string;
};

type CsvRow = { row: number; record: [string, string, string[], string[]] };

/**
 * The output CSV's records: the input rows in their order with a 4th column of output URLs, one slot per
 * input URL, empty where that image failed. Items are read in pages by (row, position), and a row is
 * yielded once its last item has been read.
 */
export async function* outputCsvRecords(db: Queryable, requestId: string, pageSize = PAGE_SIZE) {
  yield [COLUMNS.serial_number, COLUMNS.product_name, COLUMNS.urls, 'Output Image Urls'];
  let current: CsvRow | undefined;
  let after = { row: -1, position: -1 };
  for (;;) {
    const { rows } = await db.query<ItemRow>(
      `SELECT row_number, position, serial_number, product_name, input_url, output_url, status
       FROM upload.items WHERE request_id = $1 AND (row_number, position) > ($2, $3)
       ORDER BY row_number, position LIMIT $4`,
      [requestId, after.row, after.position, pageSize],
    );
    for (const item of rows) {
      if (current && current.row !== item.row_number) yield recordOf(current);
      if (current?.row !== item.row_number) {
        current = { row: item.row_number, record: [item.serial_number, item.product_name, [], []] };
      }
      current.record[2].push(item.input_url);
      current.record[3].push(item.status === 'done' ? (item.output_url ?? '') : '');
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) break;
    after = { row: last.row_number, position: last.position };
  }
  if (current) yield recordOf(current);
}

const recordOf = ({ record: [serial, name, inputs, outputs] }: CsvRow) => [
  serial,
  name,
  inputs.join(','),
  outputs.join(','),
];

/** Streams the CSV into storage under its key (all or nothing: a reader never sees half of it). */
export function writeOutputCsv(db: Queryable, requestId: string, storage: ObjectStorage) {
  return withSpan('csv.generate', { 'upload.request_id': requestId }, async (span) => {
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    // A failed read of the items destroys every stream after it, so the put fails and stores nothing.
    pipeline(Readable.from(outputCsvRecords(db, requestId)), stringify({ record_delimiter: '\n' }), counted, () => {});
    await storage.put(csvKey(requestId), counted, { contentType: 'text/csv; charset=utf-8' });
    span.setAttribute('csv.bytes', bytes);
  });
}
