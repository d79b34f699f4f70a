import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './testing/harness.ts';

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

describe('GET /files/<key>', () => {
  let harness: Harness;
  let webp: Buffer;
  beforeAll(async () => {
    harness = await createHarness('upload_files');
    webp = await sharp({ create: { width: 6, height: 6, channels: 3, background: '#888' } })
      .webp()
      .toBuffer();
    await writeFile(path.join(harness.storage.root, 'outputs', 'photo.webp'), webp);
    // A secret beside the storage root and a symlink pointing at it from inside.
    await writeFile(
      path.join(harness.storage.root, '..', `${path.basename(harness.storage.root)}-secret.txt`),
      'secret',
    );
    await mkdir(path.join(harness.storage.root, 'outputs', 'nested'), { recursive: true });
    await symlink('/etc/passwd', path.join(harness.storage.root, 'outputs', 'nested', 'link.jpg'));
  });
  afterAll(async () => {
    await rm(path.join(harness.storage.root, '..', `${path.basename(harness.storage.root)}-secret.txt`), {
      force: true,
    });
    await harness.close();
  });

  it('serves a stored image with its sniffed type, an ETag and immutable caching', async () => {
    const response = await harness.request('/files/outputs/photo.webp');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await response.arrayBuffer()).equals(webp)).toBe(true);
    const etag = response.headers.get('etag') as string;
    expect(etag).toMatch(/^".+"$/);
    const revalidated = await harness.request('/files/outputs/photo.webp', { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
  });

  it('answers 404 for unknown keys and for every attempt to leave the storage root', async () => {
    const secret = `${path.basename(harness.storage.root)}-secret.txt`;
    const attempts = [
      '/files/outputs/missing.webp',
      `/files/../${secret}`,
      `/files/outputs/../../${secret}`,
      `/files/%2e%2e/${secret}`,
      `/files/outputs/%2e%2e%2f%2e%2e%2f${secret}`,
      `/files/..%2f${secret}`,
      '/files/%2fetc%2fpasswd',
      '/files//etc/passwd',
      '/files/outputs/nested/link.jpg',
      '/files/outputs',
      '/files/csv/anything.csv',
      '/files/outputs/photo.webp%00.jpg',
    ];
    for (const attempt of attempts) {
      const status = await rawGet(harness.baseUrl, attempt);
      expect([status, attempt]).toEqual([404, attempt]);
    }
  });
});
