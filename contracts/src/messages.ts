import { OUTPUT_FORMATS } from './uploads.ts';
import { z } from './zod.ts';

/** Topology: one durable topic exchange for jobs and one for events; a queue per consuming service. */
export const EXCHANGES = {
  jobs: 'image.jobs',
  events: 'image.events',
  deadLetter: 'image.dlx',
  /** What happens to upload requests as a whole (`upload.deleted`). */
  uploads: 'upload.events',
} as const;

export const ROUTING_KEYS = {
  process: 'image.process',
  processed: 'image.processed',
  failed: 'image.failed',
  uploadDeleted: 'upload.deleted',
} as const;

export const QUEUES = {
  jobs: 'image.process',
  uploadEvents: 'upload.image-events',
  productEvents: 'product.image-events',
  /** Jobs the broker dead-lettered (failed every attempt): the upload service fails their items. */
  uploadDeadJobs: 'upload.dead-jobs',
  /** Upload requests deleted (by `DELETE /api/uploads/{id}` or the retention sweep): products drop their images. */
  productUploadEvents: 'product.upload-events',
  deadLetter: 'image.dead-letter',
} as const;

const envelope = <T extends string>(type: T) => ({
  message_id: z.uuid(),
  type: z.literal(type),
  version: z.literal(1),
  occurred_at: z.iso.datetime(),
});

export const ImageProcessJobSchema = z.object({
  ...envelope(ROUTING_KEYS.process),
  request_id: z.uuid(),
  item_id: z.uuid(),
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('url'), url: z.url() }),
    z.object({ kind: z.literal('file'), key: z.string(), content_type: z.string().optional() }),
  ]),
  options: z.object({
    quality: z.number().int().min(1).max(100),
    format: z.enum(OUTPUT_FORMATS),
    max_width: z.number().int().positive().nullable(),
    max_height: z.number().int().positive().nullable(),
  }),
  product: z.object({ id: z.number().int().nullable(), serial_number: z.string(), name: z.string() }),
});

export const ImageProcessedSchema = z.object({
  ...envelope(ROUTING_KEYS.processed),
  request_id: z.uuid(),
  item_id: z.uuid(),
  product: z.object({ id: z.number().int().nullable(), serial_number: z.string() }),
  input_url: z.string(),
  output_key: z.string(),
  output_url: z.string(),
  thumbnail_key: z.string(),
  thumbnail_url: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  format: z.string(),
  input_bytes: z.number().int(),
  output_bytes: z.number().int(),
});

export const ImageFailedSchema = z.object({
  ...envelope(ROUTING_KEYS.failed),
  request_id: z.uuid(),
  item_id: z.uuid(),
  product: z.object({ id: z.number().int().nullable(), serial_number: z.string() }),
  input_url: z.string(),
  code: z.string().meta({ example: 'not_an_image' }),
  message: z.string(),
  permanent: z.boolean(),
});

/** A request and everything it stored are being deleted: consumers drop what they keep from it. */
export const UploadDeletedSchema = z.object({
  ...envelope(ROUTING_KEYS.uploadDeleted),
  request_id: z.uuid(),
});

export type ImageProcessJob = z.infer<typeof ImageProcessJobSchema>;
export type ImageProcessed = z.infer<typeof ImageProcessedSchema>;
export type ImageFailed = z.infer<typeof ImageFailedSchema>;
export type UploadDeleted = z.infer<typeof UploadDeletedSchema>;

/** What each routing key carries: publishers validate against it before sending, consumers on receipt. */
export const MESSAGE_SCHEMAS = {
  [ROUTING_KEYS.process]: ImageProcessJobSchema,
  [ROUTING_KEYS.processed]: ImageProcessedSchema,
  [ROUTING_KEYS.failed]: ImageFailedSchema,
  [ROUTING_KEYS.uploadDeleted]: UploadDeletedSchema,
} as const;

/**
 * The work queues and what feeds them: each is bound to its exchange with these routing keys. A dead-lettered
 * job keeps its queue's name as routing key, which is how `upload.dead-jobs` gets a copy.
 */
export const QUEUE_BINDINGS = [
  { queue: QUEUES.jobs, exchange: EXCHANGES.jobs, routingKeys: [ROUTING_KEYS.process] },
  {
    queue: QUEUES.uploadEvents,
    exchange: EXCHANGES.events,
    routingKeys: [ROUTING_KEYS.processed, ROUTING_KEYS.failed],
  },
  { queue: QUEUES.productEvents, exchange: EXCHANGES.events, routingKeys: [ROUTING_KEYS.processed] },
  { queue: QUEUES.uploadDeadJobs, exchange: EXCHANGES.deadLetter, routingKeys: [QUEUES.jobs] },
  { queue: QUEUES.productUploadEvents, exchange: EXCHANGES.uploads, routingKeys: [ROUTING_KEYS.uploadDeleted] },
] as const;
