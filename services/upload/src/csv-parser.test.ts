import { describe, expect, it } from 'vitest';
import { parseProductCsv } from './csv-parser.ts';

const parse = (text: string | Buffer, maxRows = 100) => parseProductCsv(text, { maxRows });

function rowsOf(text: string | Buffer) {
  const result = parse(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.rows;
}

function errorsOf(text: string, maxRows = 100) {
  const result = parse(text, maxRows);
  if (result.ok) throw new Error('expected the CSV to be refused');
  return result.errors;
}

describe('parseProductCsv', () => {
  it('reads the standard header with quoted URL lists', () => {
    const rows = rowsOf(
      'Serial Number,Product Name,Input Image Urls\n1,SKU1,"https://a.test/1.jpg, https://a.test/2.jpg"\n',
    );
    expect(rows).toEqual([
      { row: 2, serial_number: '1', product_name: 'SKU1', urls: ['https://a.test/1.jpg', 'https://a.test/2.jpg'] },
    ]);
  });

  it('reads unquoted URL lists spilling into extra cells when the URL column is last', () => {
    const rows = rowsOf(
      'serial number,product name,input image urls\nA,Desk,http://a.test/1.png,http://a.test/2.png\n',
    );
    expect(rows[0]?.urls).toEqual(['http://a.test/1.png', 'http://a.test/2.png']);
  });

  it('matches headers case-insensitively and through common aliases, in any order', () => {
    const rows = rowsOf('URLS,SKU,Name\nhttps://a.test/x.webp,S-1,Chair\n');
    expect(rows).toEqual([{ row: 2, serial_number: 'S-1', product_name: 'Chair', urls: ['https://a.test/x.webp'] }]);
    expect(rowsOf('serial,product,image urls\nS-2,Lamp,https://a.test/y.jpg\n')[0]?.product_name).toBe('Lamp');
  });

  it('tolerates a byte order mark, CRLF line ends and blank lines', () => {
    const text =
      '\uFEFFSerial Number,Product Name,Input Image Urls\r\n1,One,https://a.test/1.jpg\r\n\r\n2,Two,https://a.test/2.jpg\r\n';
    const rows = rowsOf(Buffer.from(text, 'utf8'));
    expect(rows.map((row) => [row.row, row.serial_number])).toEqual([
      [2, '1'],
      [3, '2'],
    ]);
  });

  it('keeps a serial number repeated with the same name', () => {
    const rows = rowsOf(
      'Serial Number,Product Name,Input Image Urls\n1,One,https://a.test/1.jpg\n1,One,https://a.test/2.jpg\n',
    );
    expect(rows).toHaveLength(2);
  });

  it('reports a missing header column', () => {
    expect(errorsOf('Serial Number,Input Image Urls\n1,https://a.test/1.jpg\n')).toEqual([
      { path: 'row 1', message: 'missing column "Product Name"' },
    ]);
  });

  it('refuses an empty file and a header without rows', () => {
    expect(errorsOf('')[0]?.message).toBe('the CSV has no header row');
    expect(errorsOf('Serial Number,Product Name,Input Image Urls\n')[0]?.message).toBe('no data rows');
  });

  it('reports every bad row with its row and column at once', () => {
    const text = [
      'Serial Number,Product Name,Input Image Urls',
      ',Nameless serial,https://a.test/1.jpg',
      'S2,,https://a.test/2.jpg',
      'S3,No urls,',
      'S4,Bad url,"not a url"',
      'S5,Ftp url,ftp://a.test/5.jpg',
      'S6,First name,https://a.test/6.jpg',
      'S6,Other name,https://a.test/7.jpg',
      'S8,Fine,https://a.test/8.jpg',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      { path: 'row 2, column Serial Number', message: 'is required' },
      { path: 'row 3, column Product Name', message: 'is required' },
      { path: 'row 4, column Input Image Urls', message: 'no image URLs' },
      { path: 'row 5, column Input Image Urls', message: '"not a url" is not a valid URL' },
      { path: 'row 6, column Input Image Urls', message: '"ftp://a.test/5.jpg" is not an http(s) URL' },
      { path: 'row 8, column Product Name', message: 'serial number "S6" is named "First name" on row 7' },
    ]);
  });

  it('reports overlong fields', () => {
    const text = `Serial Number,Product Name,Input Image Urls\n${'s'.repeat(101)},${'n'.repeat(256)},https://a.test/${'p'.repeat(2048)}\n`;
    expect(errorsOf(text).map((error) => error.path)).toEqual([
      'row 2, column Serial Number',
      'row 2, column Product Name',
      'row 2, column Input Image Urls',
    ]);
  });

  it('reports extra cells when the URL column is not last', () => {
    expect(errorsOf('Input Image Urls,Serial Number,Product Name\nhttps://a.test/1.jpg,S1,One,extra\n')).toEqual([
      { path: 'row 2', message: '4 cells where the header has 3' },
    ]);
  });

  it('refuses more rows than the limit', () => {
    const body = Array.from({ length: 4 }, (_, index) => `S${index},N,https://a.test/${index}.jpg`).join('\n');
    expect(errorsOf(`Serial Number,Product Name,Input Image Urls\n${body}\n`, 3)).toEqual([
      { path: 'file', message: 'more than 3 rows' },
    ]);
  });

  it('reports an unreadable CSV (an unclosed quote)', () => {
    expect(errorsOf('Serial Number,Product Name,Input Image Urls\n1,"Open,https://a.test/1.jpg\n')[0]?.path).toBe(
      'file',
    );
  });
});
