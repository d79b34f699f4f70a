import { randomUUID } from 'node:crypto';
import { type ImageProcessJob, ImageProcessJobSchema, ROUTING_KEYS } from '@ipp/contracts';

/** An item as stored, with its request's options: what its job is built from. */
export type ItemForJob = {
  id: string;
  request_id: string;
  input_url: string;
  source_key: string | null;
  source_content_type: string | null;
  serial_number: string;
  product_name: string;
  options: ImageProcessJob['options'];
};

/**
 * The `image.process` job of one item, checked against its contract schema (a job that would break it is a
 * bug, refused here rather than dead-lettered by the worker). `productId` is null when the product service
 * did not say: the worker's result then finds the product by serial number.
 */
export function buildImageJob(item: ItemForJob, productId: number | null): ImageProcessJob {
  const { quality, format, max_width, max_height } = item.options;
  const job: ImageProcessJob = {
    message_id: randomUUID(),
    type: ROUTING_KEYS.process,
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: item.request_id,
    item_id: item.id,
    source:
      item.source_key === null
        ? { kind: 'url', url: item.input_url }
        : {
            kind: 'file',
            key: item.source_key,
            ...(item.source_content_type === null ? {} : { content_type: item.source_content_type }),
          },
    options: { quality, format, max_width, max_height },
    product: { id: productId, serial_number: item.serial_number, name: item.product_name },
  };
  ImageProcessJobSchema.parse(job);
  return job;
}
