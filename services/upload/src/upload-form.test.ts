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
});
