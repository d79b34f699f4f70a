import { createHash } from 'node:crypto';
import { type ImageFailed, type ImageProcessed, type ImageProcessJob, ROUTING_KEYS } from '@ipp/contracts';
import type { ProcessingError } from './processing-error.ts';

/** Namespace of the worker's name-based event ids (RFC 9562 UUIDv5). */
const EVENT_NAMESPACE = 'b5f6a1d2-8c3e-5f47-9a0b-6d2e4c1f7a93';

/** A UUIDv5: the same name always gives the same id, so a redelivered job republishes the same event id. */
export function uuidV5(name: string, namespace = EVENT_NAMESPACE) {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name)
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function inputUrl(job: ImageProcessJob, fileUrl: (key: string) => string) {
  return job.source.kind === 'url' ? job.source.url : fileUrl(job.source.key);
}

function envelope<T extends string>(job: ImageProcessJob, type: T, fileUrl: (key: string) => string) {
  return {
    message_id: uuidV5(`${job.item_id}/${type}`),
    type,
    version: 1 as const,
    occurred_at: new Date().toISOString(),
    request_id: job.request_id,
    item_id: job.item_id,
    product: { id: job.product.id, serial_number: job.product.serial_number },
    input_url: inputUrl(job, fileUrl),
  };
}

export function processedEvent(
  job: ImageProcessJob,
  result: {
    outputKey: string;
    thumbnailKey: string;
    width: number;
    height: number;
    format: string;
    inputBytes: number;
    outputBytes: number;
  },
  fileUrl: (key: string) => string,
): ImageProcessed {
  return {
    ...envelope(job, ROUTING_KEYS.processed, fileUrl),
    output_key: result.outputKey,
    output_url: fileUrl(result.outputKey),
    thumbnail_key: result.thumbnailKey,
    thumbnail_url: fileUrl(result.thumbnailKey),
    width: result.width,
    height: result.height,
    format: result.format,
    input_bytes: result.inputBytes,
    output_bytes: result.outputBytes,
  };
}

export function failedEvent(
  job: ImageProcessJob,
  failure: ProcessingError,
  fileUrl: (key: string) => string,
): ImageFailed {
  return {
    ...envelope(job, ROUTING_KEYS.failed, fileUrl),
    code: failure.code,
    message: failure.message,
    permanent: failure.permanent,
  };
}
