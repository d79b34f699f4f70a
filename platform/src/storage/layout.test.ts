import { describe, expect, it } from 'vitest';
import {
  contentTypeOf,
  csvKey,
  fileUrl,
  isValidKey,
  keyFromPath,
  outputKeys,
  outputsPrefix,
  uploadKey,
} from './layout.ts';

const REQUEST = '0b7e6c1e-9d5f-4c3a-8f7e-2a1b3c4d5e6f';
const ITEM = '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d';

describe('storage layout', () => {
  it('keeps originals under uploads/ with a fresh name each time', () => {
    const first = uploadKey('png');
    expect(first).toMatch(/^uploads\/[0-9a-f-]{36}\.png$/);
    expect(uploadKey('png')).not.toBe(first);
  });

  it("puts an item's output and thumbnail under its request's folder", () => {
    expect(outputKeys(REQUEST, ITEM, 'jpeg')).toEqual({
      output: `outputs/${REQUEST}/${ITEM}.jpg`,
      thumbnail: `outputs/${REQUEST}/${ITEM}.thumb.webp`,
    });
    expect(outputKeys(REQUEST, ITEM, 'avif').output.startsWith(outputsPrefix(REQUEST))).toBe(true);
    expect(csvKey(REQUEST)).toBe(`csv/${REQUEST}.csv`);
  });

  it('builds /files/ URLs on a base with or without a trailing slash', () => {
    expect(fileUrl('http://localhost:5000/', 'uploads/a.png')).toBe('http://localhost:5000/files/uploads/a.png');
    expect(fileUrl('https://cdn.test/base', 'uploads/a.png')).toBe('https://cdn.test/base/files/uploads/a.png');
  });

  it('gives each stored kind its content type from the extension', () => {
    expect(contentTypeOf('outputs/r/i.thumb.webp')).toBe('image/webp');
    expect(contentTypeOf('uploads/x.JPG')).toBe('image/jpeg');
    expect(contentTypeOf('csv/r.csv')).toBe('text/csv; charset=utf-8');
    expect(contentTypeOf('uploads/x.bin')).toBe('application/octet-stream');
  });
});

describe('key validation', () => {
  it.each(['uploads/0b7e6c1e-9d5f-4c3a-8f7e-2a1b3c4d5e6f.png', `outputs/${REQUEST}/${ITEM}.thumb.webp`, 'csv/x.csv'])(
    'accepts the layout key %s',
    (key) => {
      expect(isValidKey(key)).toBe(true);
    },
  );

  it.each([
    ['empty', ''],
    ['a parent segment', 'uploads/../secret'],
    ['a leading parent', '../etc/passwd'],
    ['a current segment', 'uploads/./a.png'],
    ['an absolute path', '/etc/passwd'],
    ['a backslash', 'uploads\\..\\a.png'],
    ['an empty segment', 'uploads//a.png'],
    ['a trailing slash', 'uploads/'],
    ['a hidden name', 'uploads/.env'],
    ['a percent sign', 'uploads/%2e%2e/a.png'],
    ['a control character', 'uploads/a\u0000.png'],
    ['a space', 'uploads/a b.png'],
    ['a very long key', `uploads/${'a'.repeat(600)}`],
  ])('refuses %s', (_, key) => {
    expect(isValidKey(key)).toBe(false);
  });

  it('decodes a /files/ path once and refuses traversal however it is encoded', () => {
    expect(keyFromPath('uploads/a.png')).toBe('uploads/a.png');
    expect(keyFromPath('uploads%2Fa.png')).toBe('uploads/a.png');
    expect(keyFromPath('uploads/%2e%2e/%2e%2e/etc/passwd')).toBeUndefined();
    expect(keyFromPath('%2e%2e%2fetc%2fpasswd')).toBeUndefined();
    expect(keyFromPath('uploads/%252e%252e/a.png')).toBeUndefined();
    expect(keyFromPath('uploads%5c..%5ca.png')).toBeUndefined();
    expect(keyFromPath('%2fetc%2fpasswd')).toBeUndefined();
    expect(keyFromPath('uploads/%E0%A4%A.png')).toBeUndefined();
  });
});
