import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentTypeOf, isValidKey } from './layout.ts';
import type { ObjectInfo, ObjectStorage } from './object-storage.ts';

export type S3Options = {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Prepended to every key (e.g. `images/`), so the platform can share a bucket. */
  prefix?: string;
  /** Bounds each request, so an unreachable endpoint fails a job or a readiness check instead of hanging it. */
  requestTimeoutMs?: number;
  /** Only for tests: otherwise the SDK's default chain finds them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

const statusOf = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isNotFound = (error: unknown) =>
  statusOf(error) === 404 || ['NoSuchKey', 'NotFound'].includes((error as Error).name);

/**
 * The S3-compatible driver (AWS S3, R2, GCS's S3 API, Ceph RGW, Garage, versitygw…). Credentials come from
 * the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, web identity on Kubernetes, …).
 * A put is one streamed PutObject or a multipart upload that is completed or aborted, never half an object.
 */
export function createS3Storage(options: S3Options): ObjectStorage {
  const { bucket } = options;
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 5000), requestTimeout: timeoutMs },
    // Only where the server asks for them: S3-compatible servers differ in which checksums they accept.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  function objectKey(key: string) {
    if (!isValidKey(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    return prefix + key;
  }

  const describe = (
    key: string,
    object: { ContentLength?: number; ETag?: string; LastModified?: Date; ContentType?: string },
  ): ObjectInfo => ({
    size: object.ContentLength ?? 0,
    etag: object.ETag ?? '""',
    lastModified: object.LastModified ?? new Date(0),
    contentType: object.ContentType || contentTypeOf(key),
  });

  async function head(key: string) {
    try {
      return describe(key, await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) })));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  return {
    driver: 's3',

    async put(key, body, putOptions = {}) {
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key: objectKey(key),
          Body: body,
          ContentType: putOptions.contentType ?? contentTypeOf(key),
        },
        // Parts in flight per upload: bounds the memory a large object takes to two 5 MiB parts.
        queueSize: 2,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        // A body that failed mid-stream (the client left) must not leave parts behind either.
        await upload.abort().catch(() => undefined);
        throw error;
      }
    },

    async get(key, getOptions = {}) {
      const { range } = getOptions;
      try {
        const object = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: objectKey(key),
            Range: range ? `bytes=${range.start}-${range.end}` : undefined,
          }),
        );
        const info = describe(key, object);
        const total = object.ContentRange ? Number(object.ContentRange.split('/')[1]) : info.size;
        return { ...info, size: total, body: object.Body as Readable, range };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    head,

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
    },

    async deletePrefix(folder) {
      let deleted = 0;
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: `${objectKey(folder.replace(/\/+$/, ''))}/`,
            ContinuationToken: token,
          }),
        );
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
        if (keys.length) {
          await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
          deleted += keys.length;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return deleted;
    },

    async check() {
      // A write, not just a HEAD of the bucket: read-only credentials would otherwise pass.
      const probe = `${prefix}.ready/${randomUUID()}`;
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: probe, Body: new Uint8Array(0), ContentLength: 0 }),
      );
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }));
    },

    async sweepIncomplete(olderThanMs = 24 * 3600_000) {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix || undefined }));
      let removed = 0;
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || Date.now() - (upload.Initiated?.getTime() ?? 0) <= olderThanMs) continue;
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
        );
        removed += 1;
      }
      return removed;
    },

    presignedUrl(key, ttlS) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }), { expiresIn: ttlS });
    },
  };
}

/** Turns a failed start-up check into one line naming the setting most likely at fault. */
export function describeS3Failure(error: unknown, options: S3Options) {
  const name = (error as Error).name ?? '';
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'NoSuchBucket' || statusOf(error) === 404)
    return `S3_BUCKET: the bucket "${options.bucket}" does not exist (${message})`;
  if (
    ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'CredentialsProviderError'].includes(name) ||
    [401, 403].includes(statusOf(error) ?? 0)
  )
    return `AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: the credentials are refused or missing for bucket "${options.bucket}" (${name}: ${message})`;
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET'].includes(code) ||
    name === 'TimeoutError' ||
    message.startsWith('timed out')
  )
    return `S3_ENDPOINT: cannot reach ${options.endpoint ?? `the S3 endpoint of region ${options.region}`} (${code || name}: ${message})`;
  return `S3 storage (S3_BUCKET=${options.bucket}, S3_ENDPOINT=${options.endpoint ?? 'default'}): ${name}: ${message}`;
}
