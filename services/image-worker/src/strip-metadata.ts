/** JPEG segments that matter for decoding and colour: JFIF (APP0), the ICC profile (APP2), Adobe (APP14). */
const KEPT_JPEG_APP_MARKERS = new Set([0xe0, 0xe2, 0xee]);
/** PNG chunks that carry pixels, colour or animation; text, EXIF and timestamps are dropped. */
const KEPT_PNG_CHUNKS = new Set([
  'IHDR',
  'PLTE',
  'IDAT',
  'IEND',
  'tRNS',
  'gAMA',
  'cHRM',
  'sRGB',
  'iCCP',
  'sBIT',
  'acTL',
  'fcTL',
  'fdAT',
]);

/**
 * Removes metadata from a JPEG or PNG without re-encoding it (EXIF, XMP, IPTC, comments, text chunks),
 * for when a re-encode would be larger than the source. Returns undefined for anything it cannot parse.
 */
export function stripMetadata(input: Buffer, format: string): Buffer | undefined {
  if (format === 'jpeg') return stripJpeg(input);
  if (format === 'png') return stripPng(input);
  return undefined;
}

function stripJpeg(input: Buffer) {
  if (input.readUInt16BE(0) !== 0xffd8) return undefined;
  const parts: Buffer[] = [input.subarray(0, 2)];
  let offset = 2;
  while (offset + 4 <= input.length) {
    if (input[offset] !== 0xff) return undefined;
    const marker = input[offset + 1] ?? 0;
    // Start of scan: the entropy-coded data and everything after it is copied as is.
    if (marker === 0xda) {
      parts.push(input.subarray(offset));
      return Buffer.concat(parts);
    }
    const end = offset + 2 + input.readUInt16BE(offset + 2);
    const isMetadata = (marker >= 0xe0 && marker <= 0xef && !KEPT_JPEG_APP_MARKERS.has(marker)) || marker === 0xfe;
    if (!isMetadata) parts.push(input.subarray(offset, end));
    offset = end;
  }
  return undefined;
}

function stripPng(input: Buffer) {
  if (input.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') return undefined;
  const parts: Buffer[] = [input.subarray(0, 8)];
  let offset = 8;
  while (offset + 12 <= input.length) {
    const end = offset + 12 + input.readUInt32BE(offset);
    const type = input.subarray(offset + 4, offset + 8).toString('latin1');
    if (KEPT_PNG_CHUNKS.has(type)) parts.push(input.subarray(offset, end));
    if (type === 'IEND') return Buffer.concat(parts);
    offset = end;
  }
  return undefined;
}
