import { randomUUID } from 'node:crypto';

/**
 * Where everything is stored, for every service and both drivers: originals under `uploads/`, a request's
 * outputs and thumbnails under `outputs/<request>/`, output CSVs under `csv/`. Keys are content-unique
 * (a new upload gets a new key; an item's output key is derived from the item), so stored files are immutable.
 */
export const EXTENSIONS = { jpeg: 'jpg', png: 'png', webp: 'webp', avif: 'avif', gif: 'gif' } as const;

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  heic: 'image/heic',
  heif: 'image/heif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  csv: 'text/csv; charset=utf-8',
};

export const uploadKey = (extension: string) => `uploads/${randomUUID()}.${extension}`;

export function outputKeys(requestId: string, itemId: string, format: keyof typeof EXTENSIONS) {
  const base = `outputs/${requestId}/${itemId}`;
  return { output: `${base}.${EXTENSIONS[format]}`, thumbnail: `${base}.thumb.webp` };
}

export const outputsPrefix = (requestId: string) => `outputs/${requestId}/`;

export const csvKey = (requestId: string) => `csv/${requestId}.csv`;

export const isUploadKey = (key: string) => key.startsWith('uploads/');

/** Keys served by `GET /files/<key>`: images only; output CSVs have their own route. */
export const isPublicKey = (key: string) => key.startsWith('uploads/') || key.startsWith('outputs/');

export const contentTypeOf = (key: string) =>
  CONTENT_TYPES[key.slice(key.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';

export const fileUrl = (publicBaseUrl: string, key: string) => `${publicBaseUrl.replace(/\/+$/, '')}/files/${key}`;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Whether a key is one this layout could have made: relative, `/`-separated segments of letters, digits,
 * `.`, `_` and `-`, none of them `.` or `..` or empty. Everything else (an absolute path, a backslash, a
 * percent sign left after decoding, a control character) is refused before either driver sees it.
 */
export function isValidKey(key: string) {
  return key.length > 0 && key.length <= 512 && key.split('/').every((segment) => SEGMENT.test(segment));
}

/** The key of a `/files/<key>` path after its single percent-decoding, or undefined when it is not valid. */
export function keyFromPath(encoded: string) {
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  return isValidKey(key) ? key : undefined;
}
