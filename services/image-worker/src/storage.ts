import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { permanent } from './processing-error.ts';

/**
 * The shared STORAGE_DIR as the worker sees it: reads uploaded sources under `uploads/`, writes outputs
 * atomically (a temp file in `tmp/`, then a rename) so a reader never sees half a file and a
 * redelivered job replaces its item's output instead of adding another.
 */
export function createStorage(root: string) {
  const base = path.resolve(root);
  const temporary = path.join(base, 'tmp');

  function pathOf(key: string) {
    const full = path.resolve(base, key);
    if (!full.startsWith(base + path.sep))
      throw permanent('invalid_source', `the key ${key} leaves the storage directory`);
    return full;
  }

  return {
    async write(key: string, data: Buffer) {
      const target = pathOf(key);
      await Promise.all([mkdir(path.dirname(target), { recursive: true }), mkdir(temporary, { recursive: true })]);
      const staging = path.join(temporary, `${randomBytes(8).toString('hex')}.part`);
      try {
        await writeFile(staging, data);
        await rename(staging, target);
      } catch (error) {
        await rm(staging, { force: true });
        throw error;
      }
    },

    async readUpload(key: string, maxBytes: number) {
      if (!key.startsWith('uploads/')) throw permanent('invalid_source', `the key ${key} is not an upload`);
      const file = pathOf(key);
      try {
        const { size } = await stat(file);
        if (size > maxBytes)
          throw permanent('source_too_large', `the upload is ${size} bytes; the limit is ${maxBytes}`);
        return await readFile(file);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT')
          throw permanent('source_not_found', `no stored upload ${key}`);
        throw error;
      }
    },

    /** Removes staging files a killed worker left behind; younger ones may belong to a running worker. */
    async sweepStaging(olderThanMs = 10 * 60_000) {
      const names = await readdir(temporary).catch(() => [] as string[]);
      let removed = 0;
      for (const name of names.filter((entry) => entry.endsWith('.part'))) {
        const file = path.join(temporary, name);
        const modified = await stat(file).then(
          (info) => info.mtimeMs,
          () => Date.now(),
        );
        if (Date.now() - modified > olderThanMs) {
          await rm(file, { force: true });
          removed += 1;
        }
      }
      return removed;
    },

    /** Readiness: the directory exists and accepts a write. */
    async checkWritable() {
      await mkdir(temporary, { recursive: true });
      const probe = path.join(temporary, `ready-${process.pid}`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
    },
  };
}

export type Storage = ReturnType<typeof createStorage>;
