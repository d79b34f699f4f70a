import { Readable } from 'node:stream';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { getOutputFileRoute, getUploadedFileRoute } from '@ipp/contracts/routes';
import { type AppEnv, AppError } from '@ipp/platform';
import { type ByteRange, isPublicKey, keyFromPath, type ObjectStorage } from '@ipp/platform/storage';
import type { Context } from 'hono';

export type FilesOptions = {
  storage: ObjectStorage;
  /** `proxy`: this service streams the bytes; `redirect` (s3 only): 302 to a presigned URL of the bucket. */
  delivery?: 'proxy' | 'redirect';
  urlTtlS?: number;
};

/**
 * One `Range: bytes=…` range within `size`: undefined to serve the whole object (no header, several
 * ranges, another unit), null when it cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | undefined {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (!match[1] && !match[2])) return undefined;
  const [, first, last] = match;
  const range = first
    ? { start: Number(first), end: last ? Math.min(Number(last), size - 1) : size - 1 }
    : { start: Math.max(size - Number(last), 0), end: size - 1 };
  return range.start <= range.end && range.start < size ? range : null;
}

/**
 * `GET /files/<key>`, mounted on its two declarations (`getUploadedFileRoute`, `getOutputFileRoute`: a key
 * holds `/`, so each layout is a path of its own) and validated by them. Stored images are immutable (keys
 * are never reused). A path of another shape is refused as 400 when it tries to leave the layout (traversal,
 * absolute, backslash, encoded tricks) and is 404 otherwise; storage never sees it.
 */
export function mountGetFile(api: OpenAPIHono<AppEnv>, options: FilesOptions) {
  const { storage, delivery = 'proxy', urlTtlS = 900 } = options;
  const serve = async (c: Context<AppEnv>) => {
    const key = keyFromPath(c.req.path.slice('/files/'.length));
    if (!key) throw new AppError('validation_failed', 'Not a valid file key');
    const info = isPublicKey(key) ? await storage.head(key) : undefined;
    if (!info) throw new AppError('not_found', 'No such file');

    c.header('etag', info.etag);
    c.header('last-modified', info.lastModified.toUTCString());
    c.header('cache-control', 'public, max-age=31536000, immutable');
    if (
      c.req
        .header('if-none-match')
        ?.split(/\s*,\s*/)
        .some((tag) => tag === info.etag || tag === '*')
    )
      return c.body(null, 304);
    if (delivery === 'redirect' && storage.presignedUrl) {
      // The presigned URL expires: the redirect itself must not be cached for a year.
      c.header('cache-control', `private, max-age=${Math.max(urlTtlS - 60, 0)}`);
      return c.redirect(await storage.presignedUrl(key, urlTtlS), 302);
    }

    c.header('accept-ranges', 'bytes');
    c.header('x-content-type-options', 'nosniff');
    const range = parseRange(c.req.header('range'), info.size);
    if (range === null) {
      c.header('content-range', `bytes */${info.size}`);
      return c.body(null, 416);
    }
    const object = await storage.get(key, { range });
    if (!object) throw new AppError('not_found', 'No such file');
    c.header('content-type', object.contentType);
    const body = Readable.toWeb(object.body) as unknown as ReadableStream;
    if (!range) {
      c.header('content-length', String(object.size));
      return c.body(body, 200);
    }
    c.header('content-range', `bytes ${range.start}-${range.end}/${object.size}`);
    c.header('content-length', String(range.end - range.start + 1));
    return c.body(body, 206);
  };
  api.openapi(getUploadedFileRoute, serve);
  api.openapi(getOutputFileRoute, serve);
  api.get('/files/*', (c) => {
    const key = keyFromPath(c.req.path.slice('/files/'.length));
    if (!key) throw new AppError('validation_failed', 'Not a valid file key');
    throw new AppError('not_found', 'No such file');
  });
}
