import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { contentTypeOf, isValidKey } from './layout.ts';
import type { ObjectInfo, ObjectStorage } from './object-storage.ts';

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as { code?: string }).code ?? '');
const ignoreExisting = (error: { code?: string }) => {
  if (error.code !== 'EEXIST') throw error;
};

/** Runs `write`; when it finds `folder` missing, makes it and runs `write` again. */
async function inFolder(folder: string, write: () => Promise<void>) {
  try {
    await write();
  } catch (error) {
    if (!isMissing(error)) throw error;
    await mkdir(folder, { recursive: true });
    await write();
  }
}

/**
 * The local directory (STORAGE_DIR) driver: a key is a path under the root. Writes go to a staging file in
 * `tmp/` and are renamed into place, so a reader never sees half a file and a killed writer leaves only a
 * staging file, which `sweepIncomplete` removes.
 */
export function createFsStorage(root: string): ObjectStorage {
  const base = path.resolve(root);
  const staging = path.join(base, 'tmp');

  function pathOf(key: string) {
    if (!isValidKey(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    return path.join(base, key);
  }

  /** The file of a key, or undefined when it is missing or resolves (through a symlink) outside the root. */
  async function fileOf(key: string) {
    try {
      const [realRoot, realFile] = await Promise.all([realpath(base), realpath(pathOf(key))]);
      if (!realFile.startsWith(realRoot + path.sep)) return undefined;
      const info = await stat(realFile);
      return info.isFile() ? { file: realFile, info } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  function describe(key: string, info: { size: number; mtimeMs: number; mtime: Date }): ObjectInfo {
    return {
      size: info.size,
      etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      lastModified: info.mtime,
      contentType: contentTypeOf(key),
    };
  }

  return {
    driver: 'fs',

    async put(key, body) {
      const target = pathOf(key);
      const part = path.join(staging, `${randomBytes(8).toString('hex')}.part`);
      try {
        // Bytes in memory (a worker's outputs) are written in one call, and a folder is made only when the
        // write or the rename finds it missing: no mkdir and no stream per object on the pipeline's path.
        if (typeof body === 'string' || Buffer.isBuffer(body)) await inFolder(staging, () => writeFile(part, body));
        else {
          // A stream can be read only once: its folder is made before it starts.
          await mkdir(staging, { recursive: true });
          await pipeline(body, createWriteStream(part));
        }
        await inFolder(path.dirname(target), () => rename(part, target));
      } catch (error) {
        await rm(part, { force: true });
        throw error;
      }
    },

    async get(key, options = {}) {
      const found = await fileOf(key);
      if (!found) return undefined;
      const { range } = options;
      return {
        ...describe(key, found.info),
        body: createReadStream(found.file, range ? { start: range.start, end: range.end } : {}),
        range,
      };
    },

    async head(key) {
      const found = await fileOf(key);
      return found && describe(key, found.info);
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    async deletePrefix(prefix) {
      const folder = pathOf(prefix.replace(/\/+$/, ''));
      const names = await readdir(folder, { recursive: true }).catch((error) => {
        if (isMissing(error)) return [];
        throw error;
      });
      await rm(folder, { recursive: true, force: true });
      return names.length;
    },

    async check() {
      // One level at a time: a recursive mkdir under /proc never settles, which would hang the check.
      for (const folder of [base, staging]) await mkdir(folder).catch(ignoreExisting);
      const probe = path.join(staging, `ready-${process.pid}`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
    },

    async sweepIncomplete(olderThanMs = 10 * 60_000) {
      const names = await readdir(staging).catch(() => [] as string[]);
      let removed = 0;
      for (const name of names.filter((entry) => entry.endsWith('.part'))) {
        const file = path.join(staging, name);
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
  };
}
