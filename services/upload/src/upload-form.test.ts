import { pipeline, type Readable, Transform } from 'node:stream';
import type { ObjectStorage } from '@ipp/platform/storage';
import { createTestStorage, storedFiles } from '@ipp/platform/storage/testing';
import { multipartBody, type Part } from '@ipp/platform/testing/multipart';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readUploadForm } from './upload-form.ts';

describe('readUploadForm', () => {
  let stored: Awaited<ReturnType<typeof createTestStorage>>;
  let storage: ObjectStorage;
  beforeAll(async () => {
    stored = await createTestStorage('upload_form');
    storage = stored.storage;
  });
  afterAll(() => stored.close());

  const read = (parts: Part[]) => {
    const form = multipartBody(parts);
    const request = new Request('http://upload.test/api/upload', {
      method: 'POST',
      body: form.body,
      headers: { 'content-type': form.contentType },
    });
    return readUploadForm(request, { maxBytes: 1_000_000, storage });
  };

  it('refuses more parts than an upload can use, storing none of them', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const strays = Array.from({ length: 200 }, (_, index): Part => ({ name: `x${index}`, filename: 'x', data: 'x' }));
    const images: Part[] = [{ name: 'images', filename: 'a.png', data: png }];
    await expect(read([...images, ...strays, ...images])).rejects.toMatchObject({
      status: 400,
      message: 'At most 130 parts per upload',
    });
    expect(await storedFiles(stored.root, 'uploads')).toEqual([]);
  });

  it('reads fields, drops unknown parts and keeps the CSV', async () => {
    const form = await read([
      { name: 'quality', data: '80' },
      { name: 'notes', filename: 'n.txt', data: 'ignored' },
      { name: 'file', filename: 'p.csv', data: 'a,b\n' },
    ]);
    expect(form).toMatchObject({ fields: { quality: '80' }, images: [] });
    expect(form.csv?.toString()).toBe('a,b\n');
  });

  it('streams an image into storage while the client is still sending it', async () => {
    const image = Buffer.concat([
      Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
      Buffer.alloc(6 * 1024 * 1024, 1),
    ]);
    const form = multipartBody([{ name: 'images', filename: 'large.png', data: image }]);
    const split = (form.ranges[0]?.start ?? 0) + 1024 * 1024;
    let firstBytesStored = () => {};
    const stored = new Promise<void>((resolve) => (firstBytesStored = resolve));
    const watching: ObjectStorage = {
      ...storage,
      put(key, body, options) {
        const watched = new Transform({
          transform(chunk, _encoding, callback) {
            firstBytesStored();
            callback(null, chunk);
          },
        });
        pipeline(body as Readable, watched, () => {});
        return storage.put(key, watched, options);
      },
    };
    let storedBeforeTheRest = false;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(form.body.subarray(0, split));
        // An image held whole before it is stored would never reach storage while the client waits here.
        storedBeforeTheRest = await Promise.race([
          stored.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(resolve, 10_000, false)),
        ]);
        controller.enqueue(form.body.subarray(split));
        controller.close();
      },
    });
    const request = new Request('http://upload.test/api/upload', {
      method: 'POST',
      body,
      headers: { 'content-type': form.contentType },
      duplex: 'half',
    } as RequestInit);

    const read = await readUploadForm(request, { maxBytes: 16 * 1024 * 1024, storage: watching });
    expect(storedBeforeTheRest).toBe(true);
    expect(read.images).toHaveLength(1);
    expect((await storage.head(read.images[0]?.key ?? ''))?.size).toBe(image.length);
  });
});
