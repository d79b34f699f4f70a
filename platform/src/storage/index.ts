import { ConfigError } from '../config.ts';
import type { Logger } from '../logger.ts';
import { type ReadinessCheck, withTimeout } from '../probes.ts';
import { createFsStorage } from './fs.ts';
import { fileUrl } from './layout.ts';
import type { ObjectStorage } from './object-storage.ts';
import { createS3Storage, describeS3Failure, type S3Options } from './s3.ts';

export { createFsStorage } from './fs.ts';
export * from './layout.ts';
export type * from './object-storage.ts';
export { createS3Storage } from './s3.ts';

const START_CHECK_TIMEOUT_MS = 10_000;

/** The storage settings of `storageEnv`, as parsed. */
export type StorageConfig = {
  STORAGE_DRIVER: 'fs' | 's3';
  STORAGE_DIR: string;
  S3_BUCKET?: string;
  S3_REGION: string;
  S3_ENDPOINT?: string;
  S3_FORCE_PATH_STYLE: boolean;
  S3_PREFIX?: string;
  FILES_DELIVERY: 'proxy' | 'redirect';
  FILES_PUBLIC_BASE_URL?: string;
  PUBLIC_BASE_URL: string;
};

export function s3OptionsOf(config: StorageConfig): S3Options {
  if (!config.S3_BUCKET) throw new ConfigError('Invalid configuration:\n  S3_BUCKET: required when STORAGE_DRIVER=s3');
  return {
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    prefix: config.S3_PREFIX,
  };
}

/** The configured driver; a setting that cannot work (s3 without a bucket, redirect on fs) stops the start. */
export function createStorage(config: StorageConfig): ObjectStorage {
  if (config.STORAGE_DRIVER === 'fs') {
    if (config.FILES_DELIVERY === 'redirect')
      throw new ConfigError('Invalid configuration:\n  FILES_DELIVERY: redirect needs STORAGE_DRIVER=s3');
    return createFsStorage(config.STORAGE_DIR);
  }
  return createS3Storage(s3OptionsOf(config));
}

/**
 * Checks the store once at start and logs one line naming the setting at fault when it fails. The service
 * starts anyway and its readiness (which runs the same check) stays 503 until the store answers: a wrong
 * bucket is fixed without a crash loop, and a store that was only away is picked up when it is back.
 */
export async function checkStorageAtStart(storage: ObjectStorage, config: StorageConfig, logger: Logger) {
  try {
    await withTimeout(storage.check(), START_CHECK_TIMEOUT_MS);
    return true;
  } catch (error) {
    const line =
      storage.driver === 's3'
        ? describeS3Failure(error, s3OptionsOf(config))
        : `STORAGE_DIR: ${config.STORAGE_DIR} is not a writable directory (${(error as Error).message})`;
    logger.error({ driver: storage.driver, err: error }, `storage unavailable: ${line}`);
    return false;
  }
}

/** The readiness check of storage (a write and a delete), reported with its driver. */
export function storageReadiness(storage: ObjectStorage): ReadinessCheck {
  return Object.assign(() => storage.check(), { details: { driver: storage.driver } });
}

/** The URL clients get for a stored key: the CDN or public bucket when configured, else `/files/<key>`. */
export function publicFileUrl(config: Pick<StorageConfig, 'FILES_PUBLIC_BASE_URL' | 'PUBLIC_BASE_URL'>, key: string) {
  return config.FILES_PUBLIC_BASE_URL
    ? `${config.FILES_PUBLIC_BASE_URL.replace(/\/+$/, '')}/${key}`
    : fileUrl(config.PUBLIC_BASE_URL, key);
}
