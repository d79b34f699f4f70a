import type { Readable } from 'node:stream';

export type ObjectInfo = { size: number; etag: string; lastModified: Date; contentType: string };

/** The bytes `start`..`end` (inclusive) of an object, as in an HTTP `Range: bytes=start-end`. */
export type ByteRange = { start: number; end: number };

export type StoredObject = ObjectInfo & { body: Readable; range?: ByteRange };

/**
 * What the services need from storage, whatever holds the bytes. An object becomes visible only complete:
 * `put` either stores the whole stream under the key or nothing.
 */
export type ObjectStorage = {
  driver: 'fs' | 's3';
  put(key: string, body: Readable | Buffer | string, options?: { contentType?: string }): Promise<void>;
  /** The object's bytes (or a range of them) with its metadata; undefined when there is no such key. */
  get(key: string, options?: { range?: ByteRange }): Promise<StoredObject | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` (a folder such as `outputs/<request>/`). */
  deletePrefix(prefix: string): Promise<number>;
  /** Readiness: the store is reachable and accepts a write. */
  check(): Promise<void>;
  /** Removes what a writer killed mid-write left behind (staging files, unfinished multipart uploads). */
  sweepIncomplete(olderThanMs?: number): Promise<number>;
  /** A URL that serves the object directly for `ttlS` seconds (s3 only). */
  presignedUrl?(key: string, ttlS: number): Promise<string>;
};
