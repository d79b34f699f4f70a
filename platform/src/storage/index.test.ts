import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.ts';
import { createStorage, publicFileUrl, type StorageConfig } from './index.ts';

const fs: StorageConfig = {
  STORAGE_DRIVER: 'fs',
  STORAGE_DIR: '/tmp/ipp-unused',
  S3_REGION: 'us-east-1',
  S3_FORCE_PATH_STYLE: false,
  FILES_DELIVERY: 'proxy',
  PUBLIC_BASE_URL: 'http://localhost:5000',
};

describe('createStorage', () => {
  it('picks the driver STORAGE_DRIVER names', () => {
    expect(createStorage(fs).driver).toBe('fs');
    expect(createStorage({ ...fs, STORAGE_DRIVER: 's3', S3_BUCKET: 'images' }).driver).toBe('s3');
  });

  it('stops the start on settings that cannot work, naming the variable', () => {
    expect(() => createStorage({ ...fs, STORAGE_DRIVER: 's3' })).toThrow(ConfigError);
    expect(() => createStorage({ ...fs, STORAGE_DRIVER: 's3' })).toThrow(/S3_BUCKET/);
    expect(() => createStorage({ ...fs, FILES_DELIVERY: 'redirect' })).toThrow(/FILES_DELIVERY/);
  });
});

describe('publicFileUrl', () => {
  it('points at the gateway by default and at FILES_PUBLIC_BASE_URL when set', () => {
    expect(publicFileUrl(fs, 'outputs/r/i.jpg')).toBe('http://localhost:5000/files/outputs/r/i.jpg');
    expect(publicFileUrl({ ...fs, FILES_PUBLIC_BASE_URL: 'https://cdn.test/images/' }, 'outputs/r/i.jpg')).toBe(
      'https://cdn.test/images/outputs/r/i.jpg',
    );
  });
});
