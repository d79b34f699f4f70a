import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFsStorage } from '@ipp/platform/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStoredUpload } from './stored-source.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'image-worker-source-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('readStoredUpload', () => {
  it('reads uploads only, within the size limit', async () => {
    const storage = createFsStorage(root);
    await storage.put('uploads/a.png', Buffer.alloc(10));
    await storage.put('outputs/r/i.jpg', Buffer.alloc(10));
    expect(await readStoredUpload(storage, 'uploads/a.png', 100)).toHaveLength(10);
    await expect(readStoredUpload(storage, 'uploads/a.png', 5)).rejects.toMatchObject({ code: 'source_too_large' });
    await expect(readStoredUpload(storage, 'uploads/missing.png', 100)).rejects.toMatchObject({
      code: 'source_not_found',
    });
    await expect(readStoredUpload(storage, 'outputs/r/i.jpg', 100)).rejects.toMatchObject({ code: 'invalid_source' });
    await expect(readStoredUpload(storage, 'uploads/../../etc/passwd', 100)).rejects.toMatchObject({
      code: 'invalid_source',
    });
  });
});
