import { csvKey, type ObjectStorage } from '@ipp/platform/storage';
import { withSpan } from '@ipp/platform/telemetry';
import { stringify } from 'csv-stringify/sync';
import { COLUMNS } from './csv-parser.ts';
import type { Queryable } from './database.ts';

type ItemRow = {
  row_number: number;
  serial_number: string;
  product_name: string;
  input_url: string;
  output_url: string | null;
  status: string;
};

/**
 * The output CSV: the input rows in their order with a 4th column of output URLs, one slot per input URL,
 * empty where that image failed.
 */
export async function renderOutputCsv(db: Queryable, requestId: string): Promise<string> {
  const { rows } = await db.query<ItemRow>(
    `SELECT row_number, serial_number, product_name, input_url, output_url, status
     FROM upload.items WHERE request_id = $1 ORDER BY row_number, position`,
    [requestId],
  );
  const records: string[][] = [[COLUMNS.serial_number, COLUMNS.product_name, COLUMNS.urls, 'Output Image Urls']];
  let current: { row: number; inputs: string[]; outputs: string[] } | undefined;
  for (const item of rows) {
    if (current?.row !== item.row_number) {
      current = { row: item.row_number, inputs: [], outputs: [] };
      records.push([item.serial_number, item.product_name]);
    }
    current.inputs.push(item.input_url);
    current.outputs.push(item.status === 'done' ? (item.output_url ?? '') : '');
    const record = records.at(-1) as string[];
    record[2] = current.inputs.join(',');
    record[3] = current.outputs.join(',');
  }
  return stringify(records, { record_delimiter: '\n' });
}

/** Stores the CSV under its key (all or nothing: a reader never sees half of it). */
export function writeOutputCsv(db: Queryable, requestId: string, storage: ObjectStorage) {
  return withSpan('csv.generate', { 'upload.request_id': requestId }, async (span) => {
    const text = await renderOutputCsv(db, requestId);
    await storage.put(csvKey(requestId), text);
    span.setAttribute('csv.bytes', Buffer.byteLength(text));
    return text;
  });
}
