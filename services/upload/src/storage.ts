import { randomUUID } from 'node:crypto';
import { access, constants, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';

export const STORAGE_AREAS = ['uploads', 'outputs', 'csv'] as const;

export type Storage = ReturnType<typeof createStorage>;

/** The shared storage directory: generated keys, and key → path resolution that never leaves the root. */
export function createStorage(root: string) {
  const absoluteRoot = path.resolve(root);
  return {
    root: absoluteRoot,
    async prepare() {
      for (const area of STORAGE_AREAS) await mkdir(path.join(absoluteRoot, area), { recursive: true });
    },
    /** Readiness: every area exists and is writable. */
    async check() {
      for (const area of STORAGE_AREAS) await access(path.join(absoluteRoot, area), constants.W_OK);
    },
    newUploadKey(extension: string) {
      return `uploads/${randomUUID()}.${extension}`;
    },
    csvPath(requestId: string) {
      return path.join(absoluteRoot, 'csv', `${requestId}.csv`);
    },
    pathOf(key: string) {
      return path.join(absoluteRoot, key);
    },
    /**
     * The real path of a stored file for a client-supplied key, or undefined when the key is malformed
     * or resolves (through `..`, an absolute path or a symlink) outside the root.
     */
    async resolveKey(key: string): Promise<string | undefined> {
      if (!/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
        return undefined;
      }
      try {
        const [realRoot, realFile] = await Promise.all([
          realpath(absoluteRoot),
          realpath(path.join(absoluteRoot, key)),
        ]);
        return realFile.startsWith(realRoot + path.sep) ? realFile : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
