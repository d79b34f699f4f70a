import type { FieldError } from '@ipp/contracts';
import { NAME_MAX, SERIAL_NUMBER_MAX } from '@ipp/contracts';
import { parse } from 'csv-parse/sync';

export type CsvRow = { row: number; serial_number: string; product_name: string; urls: string[] };
export type CsvParseResult = { ok: true; rows: CsvRow[] } | { ok: false; detail: string; errors: FieldError[] };

export const COLUMNS = {
  serial_number: 'Serial Number',
  product_name: 'Product Name',
  urls: 'Input Image Urls',
} as const;
type Column = keyof typeof COLUMNS;

/** Header spellings accepted for each column, compared lower-case with spaces, dashes and underscores removed. */
const ALIASES: Record<Column, string[]> = {
  serial_number: ['serialnumber', 'serial', 'serialno', 'sku', 'sn'],
  product_name: ['productname', 'name', 'product', 'title'],
  urls: ['inputimageurls', 'inputimageurl', 'imageurls', 'imageurl', 'urls', 'url', 'images', 'inputurls'],
};
const URL_MAX = 2048;
// PostgreSQL's text cannot hold U+0000; the upload route refuses such a file before parsing, this says why.
const NO_NUL = 'must not contain NUL characters';
const URLS_PER_ROW_MAX = 100;

const normalise = (header: string) => header.toLowerCase().replace(/[\s_\-.]/g, '');

function failure(detail: string, errors: FieldError[]): CsvParseResult {
  return { ok: false, detail, errors };
}

/** Finds each column's index from the header row, or names the missing ones. */
function mapHeader(header: string[]): Record<Column, number> | FieldError[] {
  const names = header.map(normalise);
  const found = {} as Record<Column, number>;
  const missing: FieldError[] = [];
  for (const column of Object.keys(COLUMNS) as Column[]) {
    const index = names.findIndex((name) => ALIASES[column].includes(name));
    if (index === -1) missing.push({ path: 'row 1', message: `missing column "${COLUMNS[column]}"` });
    else found[column] = index;
  }
  return missing.length ? missing : found;
}

function checkUrl(value: string): string | undefined {
  if (value.length > URL_MAX) return `URL longer than ${URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${value}" is not an http(s) URL`;
  if (!url.hostname) return `"${value}" has no host`;
  return undefined;
}

/**
 * Parses and checks a whole CSV: every bad row is reported with its row (the header is row 1) and column,
 * and no row is returned unless all are good. An unquoted URL list spills into extra cells; when the URL
 * column is last, those cells are read as more URLs.
 */
export function parseProductCsv(input: Buffer | string, options: { maxRows: number }): CsvParseResult {
  let records: string[][];
  try {
    records = parse(input, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failure('The file is not a readable CSV', [{ path: 'file', message }]);
  }
  const [header, ...body] = records;
  if (!header) return failure('The CSV is empty', [{ path: 'file', message: 'the CSV has no header row' }]);
  const columns = mapHeader(header);
  if (Array.isArray(columns)) return failure('The CSV header lacks required columns', columns);
  if (body.length === 0) return failure('The CSV has no data rows', [{ path: 'file', message: 'no data rows' }]);
  if (body.length > options.maxRows) {
    return failure(`The CSV has ${body.length} rows; at most ${options.maxRows} are accepted`, [
      { path: 'file', message: `more than ${options.maxRows} rows` },
    ]);
  }

  const urlsLast = columns.urls === header.length - 1;
  const errors: FieldError[] = [];
  const rows: CsvRow[] = [];
  const namesBySerial = new Map<string, { name: string; row: number }>();
  body.forEach((record, index) => {
    const row = index + 2;
    const at = (column: Column) => `row ${row}, column ${COLUMNS[column]}`;
    const serial = record[columns.serial_number] ?? '';
    const name = record[columns.product_name] ?? '';
    const urlCells = urlsLast ? record.slice(columns.urls) : [record[columns.urls] ?? ''];
    const urls = urlCells
      .flatMap((cell) => cell.split(/[,\r\n]+/))
      .map((url) => url.trim())
      .filter(Boolean);

    if (!urlsLast && record.length > header.length) {
      errors.push({ path: `row ${row}`, message: `${record.length} cells where the header has ${header.length}` });
    }
    if (!serial) errors.push({ path: at('serial_number'), message: 'is required' });
    else if (serial.length > SERIAL_NUMBER_MAX) {
      errors.push({ path: at('serial_number'), message: `must be at most ${SERIAL_NUMBER_MAX} characters` });
    } else if (serial.includes('\0')) errors.push({ path: at('serial_number'), message: NO_NUL });
    if (!name) errors.push({ path: at('product_name'), message: 'is required' });
    else if (name.length > NAME_MAX)
      errors.push({ path: at('product_name'), message: `must be at most ${NAME_MAX} characters` });
    else if (name.includes('\0')) errors.push({ path: at('product_name'), message: NO_NUL });
    if (urls.length === 0) errors.push({ path: at('urls'), message: 'no image URLs' });
    if (urls.length > URLS_PER_ROW_MAX)
      errors.push({ path: at('urls'), message: `more than ${URLS_PER_ROW_MAX} URLs` });
    for (const url of urls) {
      const problem = checkUrl(url);
      if (problem) errors.push({ path: at('urls'), message: problem });
    }
    if (serial && name) {
      const first = namesBySerial.get(serial);
      if (!first) namesBySerial.set(serial, { name, row });
      else if (first.name !== name) {
        errors.push({
          path: at('product_name'),
          message: `serial number "${serial}" is named "${first.name}" on row ${first.row}`,
        });
      }
    }
    rows.push({ row, serial_number: serial, product_name: name, urls });
  });
  if (errors.length) {
    const badRows = new Set(errors.map((error) => error.path.split(',')[0]));
    return failure(`${badRows.size} row(s) of the CSV are invalid; nothing was stored`, errors);
  }
  return { ok: true, rows };
}
