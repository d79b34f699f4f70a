import { NAME_MAX, SERIAL_NUMBER_MAX } from '@ipp/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvParseResult, type CsvRow, parseProductCsv } from './csv-parser.ts';

// A fixed seed, so every run tries the same inputs; CSV_FUZZ_SEED=<seed> replays another (fast-check prints it).
const SEED = Number(process.env.CSV_FUZZ_SEED ?? 20_261_203);
const RUNS = Number(process.env.CSV_FUZZ_RUNS ?? 300);
const settings = { seed: SEED, numRuns: RUNS };
const MAX_ROWS = 50;

const parse = (input: Buffer | string) => parseProductCsv(input, { maxRows: MAX_ROWS });

/** What every answer must be, whatever the input: accepted rows that are all valid, or refusals that say where. */
function expectWellFormed(result: CsvParseResult) {
  if (!result.ok) {
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) expect(error.path).toMatch(/^(file|row \d+(, column [\w ]+)?)$/);
    return;
  }
  expect(result.rows.length).toBeGreaterThan(0);
  expect(result.rows.length).toBeLessThanOrEqual(MAX_ROWS);
  for (const row of result.rows) {
    expect(row.serial_number.length).toBeGreaterThan(0);
    expect(row.serial_number.length).toBeLessThanOrEqual(SERIAL_NUMBER_MAX);
    expect(row.product_name.length).toBeGreaterThan(0);
    expect(row.product_name.length).toBeLessThanOrEqual(NAME_MAX);
    // PostgreSQL's text cannot hold NUL: a row that carries one would fail when stored, as a 500.
    expect(`${row.serial_number}${row.product_name}${row.urls.join('')}`).not.toContain('\0');
    expect(row.urls.length).toBeGreaterThan(0);
    for (const url of row.urls) expect(new URL(url).protocol).toMatch(/^https?:$/);
  }
}

// Cells: printable text, any unicode (lone surrogates, controls, NUL), quotes, separators and line breaks.
const awkward = fc.constantFrom('"', ',', '\n', '\r\n', '\r', '\0', '\uFEFF', '\u200B', ' ', '\t', '\uD800', '😀');
const cell = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), awkward), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.webUrl(),
);
const HEADER_SPELLINGS = {
  serial_number: ['Serial Number', 'serial_number', 'SKU', 'serial-no', 'SN'],
  product_name: ['Product Name', 'name', 'PRODUCT', 'title'],
  urls: ['Input Image Urls', 'image_url', 'URLs', 'Images'],
};
const headerCell = fc.oneof(fc.constantFrom(...Object.values(HEADER_SPELLINGS).flat()), cell);

/** Joins cells as a CSV writer would (quoted when needed), or raw, so the parser also meets broken quoting. */
const line = (cells: string[], quoteAll: boolean) =>
  cells.map((value) => (quoteAll || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value)).join(',');

describe(`parseProductCsv on generated input (seed ${SEED}, ${RUNS} runs each)`, () => {
  it('answers random bytes with rows that are all valid or with errors that say where, and never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => expectWellFormed(parse(Buffer.from(bytes)))),
      settings,
    );
  });

  it('answers random text and raw cells, with or without quoting, the same way', () => {
    const table = fc.tuple(
      fc.array(headerCell, { minLength: 1, maxLength: 5 }),
      fc.array(fc.array(cell, { maxLength: 6 }), { maxLength: 8 }),
      fc.boolean(),
      fc.constantFrom('\n', '\r\n', '\r'),
    );
    fc.assert(
      fc.property(table, ([header, rows, quoted, newline]) => {
        const raw = [header, ...rows].map((cells) => cells.join(',')).join(newline);
        const written = [header, ...rows].map((cells) => line(cells, quoted)).join(newline);
        expectWellFormed(parse(raw));
        expectWellFormed(parse(written));
      }),
      settings,
    );
  });

  it('reads back exactly the rows of a valid CSV, whatever header spelling, column order and line ends', () => {
    // Cells a client could mean: no leading or trailing blanks (the parser trims), no NUL, any other unicode.
    const text = (max: number) =>
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: max })
        .map((value) => value.trim().replaceAll('\0', ''))
        .filter((value) => value.length > 0 && value.length <= max);
    const url = fc.webUrl({ withQueryParameters: true }).filter((value) => !/[,\s]/.test(value));
    const rows = fc.uniqueArray(
      fc.record({
        serial_number: text(SERIAL_NUMBER_MAX),
        product_name: text(40),
        urls: fc.array(url, { minLength: 1, maxLength: 4 }),
      }),
      { minLength: 1, maxLength: MAX_ROWS, selector: (row) => row.serial_number },
    );
    const layout = fc.record({
      order: fc.shuffledSubarray(['serial_number', 'product_name', 'urls'] as const, { minLength: 3, maxLength: 3 }),
      spelling: fc.record({
        serial_number: fc.constantFrom(...HEADER_SPELLINGS.serial_number),
        product_name: fc.constantFrom(...HEADER_SPELLINGS.product_name),
        urls: fc.constantFrom(...HEADER_SPELLINGS.urls),
      }),
      bom: fc.boolean(),
      newline: fc.constantFrom('\n', '\r\n'),
      quoteAll: fc.boolean(),
      blankLines: fc.boolean(),
    });
    fc.assert(
      fc.property(rows, layout, (generated, { order, spelling, bom, newline, quoteAll, blankLines }) => {
        const cellsOf = (row: (typeof generated)[number]) =>
          order.map((column) => (column === 'urls' ? row.urls.join(', ') : row[column]));
        const lines = [
          line(
            order.map((column) => spelling[column]),
            quoteAll,
          ),
          ...generated.map((row) => line(cellsOf(row), true)),
        ];
        const csv = `${bom ? '\uFEFF' : ''}${lines.join(blankLines ? `${newline}${newline}` : newline)}${newline}`;
        const result = parse(Buffer.from(csv, 'utf8'));
        const expected: CsvRow[] = generated.map((row, index) => ({ row: index + 2, ...row }));
        expect(result).toEqual({ ok: true, rows: expected });
      }),
      settings,
    );
  });

  it('refuses a valid CSV with one row broken, and names that row', () => {
    const breakage = fc.constantFrom<[string, (cells: string[]) => string[]]>(
      ['empty serial', ([, name, urls]) => ['', name ?? '', urls ?? '']],
      ['overlong serial', ([, name, urls]) => ['s'.repeat(SERIAL_NUMBER_MAX + 1), name ?? '', urls ?? '']],
      ['overlong name', ([serial, , urls]) => [serial ?? '', 'n'.repeat(NAME_MAX + 1), urls ?? '']],
      ['no URL', ([serial, name]) => [serial ?? '', name ?? '', '']],
      ['not a URL', ([serial, name]) => [serial ?? '', name ?? '', 'not a url']],
      ['ftp URL', ([serial, name]) => [serial ?? '', name ?? '', 'ftp://a.test/x.jpg']],
      ['NUL in the name', ([serial, , urls]) => [serial ?? '', 'Desk\0', urls ?? '']],
      ['NUL in the serial', ([, name, urls]) => ['S\0', name ?? '', urls ?? '']],
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(), breakage, (count, pick, [, broken]) => {
        const rows = Array.from({ length: count }, (_, index) => [
          `S${index}`,
          `Name ${index}`,
          `https://a.test/${index}.jpg`,
        ]);
        const at = pick % count;
        rows[at] = broken(rows[at] as string[]);
        const result = parse(
          ['Serial Number,Product Name,Input Image Urls', ...rows.map((cells) => line(cells, true))].join('\n'),
        );
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.errors.map((error) => error.path.split(',')[0])).toEqual([`row ${at + 2}`]);
      }),
      settings,
    );
  });
});
