// A writer killed in the middle of a put (SIGKILL: no finally, no abort) leaves nothing under the final key,
// on either driver, and what it did leave (a staging file, an unfinished multipart upload) is swept.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../testing/index.ts';
import { createTestStorage, STORAGE_DRIVERS, storedFiles } from './testing.ts';

const MODULES = {
  fs: fileURLToPath(new URL('./fs.ts', import.meta.url)),
  s3: fileURLToPath(new URL('./s3.ts', import.meta.url)),
};

/** A separate process that puts 6 MiB (more than one 5 MiB part) under `key`, then waits for more forever. */
function startWriter(driver: 'fs' | 's3', target: unknown, key: string) {
  const script = `
    import { Readable } from 'node:stream';
    import { createFsStorage } from ${JSON.stringify(MODULES.fs)};
    import { createS3Storage } from ${JSON.stringify(MODULES.s3)};
    const target = ${JSON.stringify(target)};
    const storage = ${JSON.stringify(driver)} === 'fs' ? createFsStorage(target) : createS3Storage(target);
    const body = new Readable({ read() {} });
    for (let mib = 0; mib < 6; mib += 1) body.push(Buffer.alloc(1024 * 1024, mib));
    storage.put(${JSON.stringify(key)}, body);
    setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
}

describe.each(STORAGE_DRIVERS)('a writer killed mid-put on %s storage', (driver) => {
  let stored: Awaited<ReturnType<typeof createTestStorage>>;
  beforeAll(async () => {
    stored = await createTestStorage(`kill-mid-write-${driver}`, driver);
  });
  afterAll(() => stored.close());

  it('leaves no object under the key, and the sweep removes what it left', async () => {
    const key = `outputs/${crypto.randomUUID()}/killed.png`;
    const server = stored.server;
    const client = server && new S3Client({ ...server.options });
    const leftovers = async () => {
      if (client && server) {
        const page = await client.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
        return page.Uploads?.length ?? 0;
      }
      const parts = await storedFiles(stored.root, 'tmp');
      const sizes = await Promise.all(parts.map((name) => stat(path.join(stored.root, 'tmp', name))));
      return sizes.filter((info) => info.size > 0).length;
    };
    const writer = startWriter(driver, server ? server.options : stored.root, key);
    try {
      // Bytes are on their way: a staging file with data in it, or a multipart upload begun.
      await until(async () => (await leftovers()) > 0, { timeoutMs: 20_000 });
    } finally {
      writer.kill('SIGKILL');
    }
    await new Promise((resolve) => writer.once('exit', resolve));

    expect(await stored.storage.head(key)).toBeUndefined();
    expect(await leftovers()).toBe(1);
    expect(await stored.storage.sweepIncomplete(0)).toBe(1);
    expect(await leftovers()).toBe(0);
    expect(await stored.storage.head(key)).toBeUndefined();
    client?.destroy();
  });
});
