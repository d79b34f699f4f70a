import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/index.ts';
import { createFsStorage } from './fs.ts';
import type { ObjectStorage } from './object-storage.ts';
import { createS3Storage, describeS3Failure, type S3Options } from './s3.ts';
import { startTestS3, type TestS3Server } from './testing.ts';

let s3: TestS3Server;
let directory: string;
const drivers: Record<string, () => ObjectStorage> = {
  fs: () => createFsStorage(directory),
  s3: () => createS3Storage(s3.options),
};

beforeAll(async () => {
  [s3, directory] = await Promise.all([startTestS3('drivers'), mkdtemp(path.join(tmpdir(), 'ipp-fs-'))]);
});
afterAll(async () => {
  await Promise.all([s3?.close(), rm(directory, { recursive: true, force: true })]);
});

describe.each(['fs', 's3'])('the %s driver', (name) => {
  let storage: ObjectStorage;
  beforeAll(() => {
    storage = drivers[name]?.() as ObjectStorage;
  });

  it('stores a stream and gives it back with its metadata', async () => {
    await storage.put(`outputs/${name}/a.png`, Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    const object = await storage.get(`outputs/${name}/a.png`);
    expect(object && (await text(object.body))).toBe('hello world');
    expect(object).toMatchObject({ size: 11, contentType: 'image/png' });
    expect(object?.etag).toMatch(/^"[^"]+"$/);
    expect(object?.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await storage.head(`outputs/${name}/a.png`)).toMatchObject({ size: 11, etag: object?.etag });
  });

  it('serves a byte range with the size of the whole object', async () => {
    await storage.put(`outputs/${name}/range.csv`, '0123456789');
    const object = await storage.get(`outputs/${name}/range.csv`, { range: { start: 2, end: 5 } });
    expect(object && (await text(object.body))).toBe('2345');
    expect(object?.size).toBe(10);
  });

  it('answers undefined for a missing key and refuses an invalid one', async () => {
    expect(await storage.get(`outputs/${name}/missing.png`)).toBeUndefined();
    expect(await storage.head(`outputs/${name}/missing.png`)).toBeUndefined();
    await expect(storage.put('../escape.png', 'x')).rejects.toThrow(/invalid storage key/);
    await expect(storage.get('/etc/passwd')).rejects.toThrow(/invalid storage key/);
  });

  it('stores nothing under the key when the stream fails midway', async () => {
    const failing = new Readable({ read() {} });
    const put = storage.put(`outputs/${name}/half.png`, failing);
    failing.push(Buffer.alloc(64 * 1024, 1));
    setTimeout(() => failing.destroy(new Error('client went away')), 50);
    await expect(put).rejects.toThrow('client went away');
    expect(await storage.head(`outputs/${name}/half.png`)).toBeUndefined();
  });

  it('stores a multi-part object (larger than one 5 MiB part) whole', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    await storage.put(`outputs/${name}/large.png`, Readable.from(Array.from({ length: 12 }, () => chunk)));
    expect((await storage.head(`outputs/${name}/large.png`))?.size).toBe(12 * 1024 * 1024);
  });

  it('deletes one key, and every key under a folder', async () => {
    await Promise.all(
      ['x.png', 'y.png', 'z.thumb.webp'].map((file) => storage.put(`outputs/del-${name}/${file}`, 'x')),
    );
    await storage.put(`outputs/del-${name}-other/keep.png`, 'x');
    await storage.delete(`outputs/del-${name}/x.png`);
    expect(await storage.head(`outputs/del-${name}/x.png`)).toBeUndefined();
    expect(await storage.deletePrefix(`outputs/del-${name}/`)).toBe(2);
    expect(await storage.head(`outputs/del-${name}/y.png`)).toBeUndefined();
    expect(await storage.head(`outputs/del-${name}-other/keep.png`)).toBeDefined();
    await storage.delete(`outputs/del-${name}/never-stored.png`);
  });

  it('passes its readiness check', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
  });
});

describe('failures the s3 driver reports', () => {
  const failureOf = (options: S3Options) =>
    createS3Storage({ ...options, requestTimeoutMs: 2000 })
      .check()
      .then(
        () => 'no failure',
        (error: unknown) => describeS3Failure(error, options),
      );

  it('names S3_BUCKET for a bucket that does not exist', async () => {
    expect(await failureOf({ ...s3.options, bucket: 'no-such-bucket' })).toMatch(/^S3_BUCKET: .*no-such-bucket/);
  });

  it('names the credentials when they are refused', async () => {
    const wrong = { accessKeyId: 'wrong', secretAccessKey: 'wrong' };
    expect(await failureOf({ ...s3.options, credentials: wrong })).toMatch(/^AWS_ACCESS_KEY_ID/);
  });

  it('names S3_ENDPOINT when nothing answers there', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    expect(await failureOf({ ...s3.options, endpoint })).toMatch(/^S3_ENDPOINT: cannot reach http:\/\/127/);
  });

  it('leaves no staging file in the fs root after a failed write', async () => {
    expect((await readdir(path.join(directory, 'tmp'))).filter((name) => name.endsWith('.part'))).toEqual([]);
  });
});
