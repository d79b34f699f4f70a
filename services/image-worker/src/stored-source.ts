import { buffer } from 'node:stream/consumers';
import { isUploadKey, isValidKey, type ObjectStorage } from '@ipp/platform/storage';
import { permanent } from './processing-error.ts';

/**
 * An uploaded original, read whole (sharp decodes from memory): only keys under `uploads/`, within the
 * size limit. A storage error (the bucket away) is thrown as is, so the job is retried.
 */
export async function readStoredUpload(storage: ObjectStorage, key: string, maxBytes: number) {
  if (!isValidKey(key) || !isUploadKey(key)) throw permanent('invalid_source', `the key ${key} is not an upload`);
  const object = await storage.get(key);
  if (!object) throw permanent('source_not_found', `no stored upload ${key}`);
  if (object.size > maxBytes) {
    object.body.destroy();
    throw permanent('source_too_large', `the upload is ${object.size} bytes; the limit is ${maxBytes}`);
  }
  return buffer(object.body);
}
