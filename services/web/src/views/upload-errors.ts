import type { FieldError } from '@ipp/contracts';
import { parse } from 'csv-parse/sync';

export type RowErrors = { row: number; cells: string[]; errors: { column: string; message: string }[] };

/** The form's own fields, by the names the API uses in an error's path. */
export const FORM_FIELDS = [
  'file',
  'images',
  'serial_number',
  'name',
  'quality',
  'format',
  'max_width',
  'max_height',
  'webhook_url',
];

/**
 * Sorts the API's errors into those of a form field and those of a CSV row (`row 3` or
 * `row 3, column Serial Number`), the latter with the row's cells read from the CSV the visitor sent,
 * read as the upload service reads it, so row numbers match.
 */
export function sortUploadErrors(errors: FieldError[], csv: string | undefined) {
  const fields = new Map<string, string[]>();
  const rows = new Map<number, RowErrors>();
  const other: FieldError[] = [];
  const records = csv === undefined ? [] : readRecords(csv);
  for (const error of errors) {
    const match = /^row (\d+)(?:, column (.+))?$/.exec(error.path);
    if (match) {
      const row = Number(match[1]);
      const entry = rows.get(row) ?? { row, cells: records[row - 1] ?? [], errors: [] };
      entry.errors.push({ column: match[2] ?? 'the whole row', message: error.message });
      rows.set(row, entry);
    } else if (FORM_FIELDS.includes(error.path)) {
      fields.set(error.path, [...(fields.get(error.path) ?? []), error.message]);
    } else {
      other.push(error);
    }
  }
  return { fields, rows: [...rows.values()].sort((a, b) => a.row - b.row), other };
}

function readRecords(csv: string): string[][] {
  try {
    return parse(csv, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch {
    return [];
  }
}
