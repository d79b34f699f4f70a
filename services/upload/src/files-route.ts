import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { type AppEnv, AppError } from '@ipp/platform';
import type { Hono } from 'hono';
import { sniffImage } from './image-sniff.ts';
import type { Storage } from './storage.ts';

async function contentTypeOf(path: string) {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(16);
    await handle.read(head, 0, head.length, 0);
    return sniffImage(head)?.contentType ?? 'application/octet-stream';
  } finally {
    await handle.close();
  }
}

/** `GET /files/<key>`: stored images, immutable (keys are never reused), never outside the storage root. */
export function mountFilesRoute(app: Hono<AppEnv>, options: { storage: Storage }) {
  app.get('/files/*', async (c) => {
    const raw = c.req.path.slice('/files/'.length);
    let key: string;
    try {
      key = decodeURIComponent(raw);
    } catch {
      key = '';
    }
    const path = key.startsWith('csv/') ? undefined : await options.storage.resolveKey(key);
    const info = path ? await stat(path).catch(() => undefined) : undefined;
    if (!path || !info?.isFile()) throw new AppError('not_found', 'No such file');

    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    c.header('etag', etag);
    c.header('cache-control', 'public, max-age=31536000, immutable');
    if (
      c.req
        .header('if-none-match')
        ?.split(/\s*,\s*/)
        .includes(etag)
    )
      return c.body(null, 304);
    c.header('content-type', await contentTypeOf(path));
    c.header('content-length', String(info.size));
    c.header('x-content-type-options', 'nosniff');
    return c.body(Readable.toWeb(createReadStream(path)) as unknown as ReadableStream);
  });
}
