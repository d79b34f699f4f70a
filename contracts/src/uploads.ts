import { PageQuerySchema, pageOf, queryInt } from './pagination.ts';
import { z } from './zod.ts';

export const OUTPUT_FORMATS = ['original', 'jpeg', 'png', 'webp', 'avif'] as const;
export const DEFAULT_QUALITY = 50;

export const RequestIdSchema = z.uuid('request id must be a UUID');

/** The optional processing fields of `POST /api/upload` (multipart fields arrive as strings). */
export const UploadOptionsSchema = z.object({
  webhook_url: z
    .url({ protocol: /^https?$/, error: 'webhook_url must be an http(s) URL' })
    .max(2048)
    .optional(),
  quality: queryInt('quality', { min: 1, max: 100 }).optional(),
  format: z.enum(OUTPUT_FORMATS, `format must be one of ${OUTPUT_FORMATS.join(', ')}`).optional(),
  max_width: queryInt('max_width', { min: 1, max: 16_384 }).optional(),
  max_height: queryInt('max_height', { min: 1, max: 16_384 }).optional(),
});
export type UploadOptions = z.infer<typeof UploadOptionsSchema>;

export const RequestStatusSchema = z.enum(['queued', 'processing', 'completed', 'completed_with_errors', 'failed']);
export const ItemStatusSchema = z.enum(['queued', 'processing', 'done', 'failed']);
export const WebhookStatusSchema = z.enum(['pending', 'delivering', 'delivered', 'failed']);

export const UploadAcceptedSchema = z
  .object({
    request_id: z.uuid(),
    status: z.literal('queued'),
    total: z.number().int(),
    status_url: z.string().meta({ example: '/api/status/0b9d3c36-5b0e-4a35-9a8c-1f3f8c6f2a10' }),
  })
  .meta({ id: 'UploadAccepted' });

export const UploadItemSchema = z
  .object({
    serial_number: z.string(),
    product_name: z.string(),
    input_url: z.string(),
    output_url: z.string().nullable(),
    thumbnail_url: z.string().nullable(),
    status: ItemStatusSchema,
    error: z.string().nullable(),
    input_bytes: z.number().int().nullable(),
    output_bytes: z.number().int().nullable(),
  })
  .meta({ id: 'UploadItem' });

export const UploadStatusSchema = z
  .object({
    request_id: z.uuid(),
    status: RequestStatusSchema,
    total: z.number().int(),
    processed: z.number().int(),
    failed: z.number().int(),
    progress: z.number().meta({ description: 'Finished items (done or failed) over total, 0 to 1.' }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    completed_at: z.iso.datetime().nullable(),
    output_csv_url: z.string().nullable(),
    webhook: z.object({ url: z.string(), status: WebhookStatusSchema, attempts: z.number().int() }).nullable(),
    items: z.array(UploadItemSchema),
  })
  .meta({ id: 'UploadStatus' });

export const UploadSummarySchema = UploadStatusSchema.omit({ items: true }).meta({ id: 'UploadSummary' });
export const UploadListQuerySchema = PageQuerySchema;
export const UploadListSchema = pageOf(UploadSummarySchema).meta({ id: 'UploadList' });

export type RequestStatus = z.infer<typeof RequestStatusSchema>;
export type ItemStatus = z.infer<typeof ItemStatusSchema>;
export type UploadAccepted = z.infer<typeof UploadAcceptedSchema>;
export type UploadItem = z.infer<typeof UploadItemSchema>;
export type UploadStatus = z.infer<typeof UploadStatusSchema>;
export type UploadSummary = z.infer<typeof UploadSummarySchema>;

export const WebhookPayloadSchema = z.object({
  type: z.literal('upload.completed'),
  request_id: z.uuid(),
  status: RequestStatusSchema,
  total: z.number().int(),
  processed: z.number().int(),
  failed: z.number().int(),
  output_csv_url: z.string().nullable(),
  completed_at: z.iso.datetime(),
});
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

/**
 * The payloads of `GET /api/uploads/{request_id}/events` (text/event-stream), by event name. Every event
 * has an `id:`, a per-request integer that only grows; `Last-Event-ID` resumes after it.
 */
export const UploadEventSchemas = {
  /** An item changed: its status, output and thumbnail URLs, bytes or error. */
  item: UploadItemSchema,
  /** The request's counters or status changed; also the first event of a stream opened without Last-Event-ID. */
  progress: UploadSummarySchema,
  /** The request finished (completed, completed_with_errors, failed): its whole status; the stream then ends. */
  done: UploadStatusSchema,
} as const;
export type UploadEventName = keyof typeof UploadEventSchemas;
export type UploadEvent = {
  [Name in UploadEventName]: { event: Name; id: number; data: z.infer<(typeof UploadEventSchemas)[Name]> };
}[UploadEventName];
