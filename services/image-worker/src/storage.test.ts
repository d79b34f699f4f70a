import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from './storage.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'image-worker-storage-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('createStorage', () => {
  it('writes a key atomically and replaces it on a second write', async () => {
    const storage = createStorage(root);
    await storage.write('outputs/r/i.jpg', Buffer.from('first'));
    await storage.write('outputs/r/i.jpg', Buffer.from('second'));
    expect(await readFile(path.join(root, 'outputs/r/i.jpg'), 'utf8')).toBe('second');
    expect(await readdir(path.join(root, 'outputs/r'))).toEqual(['i.jpg']);
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('reads uploads only, within the directory and the size limit', async () => {
    const storage = createStorage(root);
    await mkdir(path.join(root, 'uploads'), { recursive: true });
    await writeFile(path.join(root, 'uploads/a.png'), Buffer.alloc(10));
    expect(await storage.readUpload('uploads/a.png', 100)).toHaveLength(10);
    await expect(storage.readUpload('uploads/a.png', 5)).rejects.toMatchObject({ code: 'source_too_large' });
    await expect(storage.readUpload('uploads/missing.png', 100)).rejects.toMatchObject({ code: 'source_not_found' });
    await expect(storage.readUpload('outputs/r/i.jpg', 100)).rejects.toMatchObject({ code: 'invalid_source' });
    await expect(storage.readUpload('uploads/../../etc/passwd', 100)).rejects.toMatchObject({ code: 'invalid_source' });
  });

  it('sweeps staging files a killed worker left, but not recent ones', async () => {
    const storage = createStorage(root);
    await storage.checkWritable();
    const old = path.join(root, 'tmp', 'old.part');
    await writeFile(old, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);
    await writeFile(path.join(root, 'tmp', 'fresh.part'), 'x');
    expect(await storage.sweepStaging()).toBe(1);
    expect(await readdir(path.join(root, 'tmp'))).toEqual(['fresh.part']);
  });
});
