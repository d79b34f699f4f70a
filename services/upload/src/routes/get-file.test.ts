import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { createHttpApp, createMetrics, listen } from '@ipp/platform';
import { createApiRoutes } from '@ipp/platform/api-routes';
import { createS3Storage } from '@ipp/platform/storage';
import { STORAGE_DRIVERS, startTestS3 } from '@ipp/platform/storage/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, testLogger } from '../testing/harness.ts';
import { mountGetFile, parseRange } from './get-file.ts';

/** A GET sent with the path exactly as written (fetch would normalise `..` away). */
function rawGet(baseUrl: string, rawPath: string) {
  return new Promise<number>((resolve, reject) => {
    const url = new URL(baseUrl);
    const request = httpRequest({ host: url.hostname, port: url.port, path: rawPath }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('parseRange', () => {
  it('reads one range of bytes, open-ended or from the end, within the size', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
  });

  it('serves the whole object for no range, several ranges or another unit, and refuses what cannot be met', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange('items=0-1', 100)).toBeUndefined();
    expect(parseRange('bytes=100-', 100)).toBeNull();
    expect(parseRange('bytes=9-2', 100)).toBeNull();
  });
});

// Output keys are `outputs/<request_id>/<name>`: the declaration takes only a UUID there.
const R1 = '3f1c2a9e-8d4b-4e7a-9c1f-0b2d3e4f5a61';
const R2 = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';

describe.each(STORAGE_DRIVERS)('GET /files/<key> on %s storage', (driver) => {
  let harness: Harness;
  let webp: Buffer;
  beforeAll(async () => {
    harness = await createHarness('upload_files', { driver });
    webp = await sharp({ create: { width: 6, height: 6, channels: 3, background: '#888' } })
      .webp()
      .toBuffer();
    await harness.storage.put(`outputs/${R1}/photo.webp`, webp);
    await harness.storage.put('csv/r1.csv', 'a,b\n');
  });
  afterAll(() => harness.close());

  it('serves a stored image with its type, length, validators and immutable caching', async () => {
    const response = await harness.request(`/files/outputs/${R1}/photo.webp`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(response.headers.get('content-length')).toBe(String(webp.length));
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(new Date(response.headers.get('last-modified') as string).getTime()).toBeGreaterThan(Date.now() - 600_000);
    expect(Buffer.from(await response.arrayBuffer()).equals(webp)).toBe(true);
    const etag = response.headers.get('etag') as string;
    expect(etag).toMatch(/^".+"$/);
    const revalidated = await harness.request(`/files/outputs/${R1}/photo.webp`, {
      headers: { 'if-none-match': etag },
    });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
  });

  it('answers a range with 206 and just those bytes, and an unsatisfiable one with 416', async () => {
    const response = await harness.request(`/files/outputs/${R1}/photo.webp`, { headers: { range: 'bytes=4-11' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 4-11/${webp.length}`);
    expect(response.headers.get('content-length')).toBe('8');
    expect(Buffer.from(await response.arrayBuffer()).equals(webp.subarray(4, 12))).toBe(true);
    const beyond = await harness.request(`/files/outputs/${R1}/photo.webp`, {
      headers: { range: `bytes=${webp.length}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${webp.length}`);
  });

  it('answers 404 as problem+json for a key that is not stored, and for output CSVs (they have their own route)', async () => {
    for (const key of [`outputs/${R1}/missing.webp`, 'uploads/none.png', 'csv/r1.csv']) {
      const response = await harness.request(`/files/${key}`);
      expect([response.status, key]).toEqual([404, key]);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('refuses with 400 every key that tries to leave the layout', async () => {
    const attempts = [
      '/files/outputs/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/files/..%2fsecret.txt',
      '/files/%2fetc%2fpasswd',
      '/files//etc/passwd',
      '/files/outputs%5c..%5csecret.txt',
      '/files/outputs/%252e%252e/secret.txt',
      '/files/outputs/photo.webp%00.jpg',
      '/files/outputs/',
      '/files/outputs/not-a-request-id/photo.webp',
      '/files/uploads/photo%20copy.webp',
    ];
    for (const attempt of attempts) {
      const status = await rawGet(harness.baseUrl, attempt);
      expect([status, attempt]).toEqual([400, attempt]);
    }
    // Whole dot segments (plain or encoded) are resolved by the URL parser before routing: never in /files/.
    for (const attempt of ['/files/../secret.txt', '/files/outputs/../../secret.txt', '/files/%2e%2e/secret.txt']) {
      expect([await rawGet(harness.baseUrl, attempt), attempt]).toEqual([404, attempt]);
    }
  });
});

describe('GET /files/<key> on fs storage with a symlink inside', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('upload_files_link');
    await mkdir(path.join(harness.storageRoot, 'outputs', R1), { recursive: true });
    await writeFile(path.join(harness.storageRoot, '..', `${path.basename(harness.storageRoot)}-secret.txt`), 'x');
    await symlink('/etc/passwd', path.join(harness.storageRoot, 'outputs', R1, 'link.jpg'));
  });
  afterAll(async () => {
    await rm(path.join(harness.storageRoot, '..', `${path.basename(harness.storageRoot)}-secret.txt`), { force: true });
    await harness.close();
  });

  it('does not follow a symlink out of the storage root', async () => {
    expect((await harness.request(`/files/outputs/${R1}/link.jpg`)).status).toBe(404);
  });
});

describe('FILES_DELIVERY=redirect', () => {
  it('redirects to a presigned URL of the bucket that serves the bytes', async () => {
    const server = await startTestS3('upload_files_redirect');
    const storage = createS3Storage(server.options);
    await storage.put(`outputs/${R2}/a.png`, 'png bytes');
    const app = createHttpApp({ logger: testLogger, metrics: createMetrics('upload') });
    const api = createApiRoutes();
    mountGetFile(api, { storage, delivery: 'redirect', urlTtlS: 120 });
    app.route('/', api);
    const listening = await listen({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    try {
      const response = await fetch(`http://127.0.0.1:${listening.port}/files/outputs/${R2}/a.png`, {
        redirect: 'manual',
      });
      expect(response.status).toBe(302);
      const location = response.headers.get('location') as string;
      expect(location.startsWith(`${server.endpoint}/${server.bucket}/outputs/${R2}/a.png?`)).toBe(true);
      expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('120');
      expect(await (await fetch(location)).text()).toBe('png bytes');
    } finally {
      await listening.close(1000);
      await server.close();
    }
  });
});
