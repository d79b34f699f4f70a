import { createRoute } from '@hono/zod-openapi';
import { PageQuerySchema } from '../pagination.ts';
import {
  RequestIdSchema,
  UploadAcceptedSchema,
  UploadListSchema,
  UploadOptionsSchema,
  UploadStatusSchema,
} from '../uploads.ts';
import { z } from '../zod.ts';
import { databaseOutage, header, json, problem, throughGateway } from './responses.ts';

const RequestParamsSchema = z.object({
  request_id: RequestIdSchema.meta({ example: '0b9d3c36-5b0e-4a35-9a8c-1f3f8c6f2a10' }),
});
const badRequestId = problem('validation_failed', 'The request id is not a UUID; `errors` names it.');
const unknownRequest = problem('not_found', 'No upload request has this id.');
const general = { rateLimit: 'general' } as const;

/** The fields of `POST /api/upload`: a CSV in `file`, or image files in `images` with their product. */
export const UploadFormSchema = UploadOptionsSchema.extend({
  file: z.string().optional().meta({
    format: 'binary',
    description: 'A CSV with the header `Serial Number,Product Name,Input Image Urls`.',
  }),
  images: z
    .array(z.string().meta({ format: 'binary' }))
    .optional()
    .meta({ description: 'One or more JPEG, PNG, WebP, AVIF, GIF or TIFF files.' }),
  serial_number: z.string().optional().meta({ description: 'With `images`: the product they belong to.' }),
  name: z.string().optional().meta({ description: 'With `images`: the product’s name.' }),
}).meta({ id: 'UploadForm' });

export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1 to 255 visible ASCII characters')
  .optional()
  .meta({ description: 'The same key with the same body returns the first answer instead of a new request.' });

export const createUploadRoute = throughGateway(
  createRoute({
    method: 'post',
    path: '/api/upload',
    operationId: 'createUpload',
    tags: ['uploads'],
    summary: 'Upload products and images',
    description:
      'A CSV of products and image URLs (`file`), or image files (`images`) for one product. The whole upload is ' +
      'checked before anything is stored; the answer comes at once and the images are processed in the background.',
    request: {
      headers: z.object({ 'idempotency-key': IdempotencyKeySchema }),
      body: {
        required: true,
        description: 'multipart/form-data: `file` or `images`, and the optional processing fields.',
        content: { 'multipart/form-data': { schema: UploadFormSchema } },
      },
    },
    responses: {
      200: json('Replay of an earlier upload with the same Idempotency-Key and body.', UploadAcceptedSchema, {
        'Idempotent-Replayed': header.text('`true`: this is the first answer again.'),
      }),
      202: json('Accepted: follow `status_url`.', UploadAcceptedSchema),
      400: problem('validation_failed', 'The upload is invalid; `errors` gives the row and column of every problem.'),
      409: problem('conflict', 'The Idempotency-Key was used with another body.'),
      413: problem('payload_too_large', 'The upload is larger than UPLOAD_MAX_BYTES.'),
      415: problem('unsupported_media_type', 'Not multipart/form-data, or a part is not a CSV or an image.'),
      503: problem('unavailable', 'The database or the product service is unreachable; nothing was stored, retry.', {
        'Retry-After': { ...header.retryAfter['Retry-After'], required: false },
      }),
    },
  }),
  { rateLimit: 'upload' },
);

const statusRoute = (path: string, operationId: string, summary: string) =>
  throughGateway(
    createRoute({
      method: 'get',
      path,
      operationId,
      tags: ['uploads'],
      summary,
      description: 'The request’s progress, its webhook delivery and every item with its output URLs.',
      request: { params: RequestParamsSchema },
      responses: {
        200: json('The request and its items.', UploadStatusSchema),
        400: badRequestId,
        404: unknownRequest,
        ...databaseOutage,
      },
    }),
    general,
  );

export const getUploadStatusRoute = statusRoute('/api/status/{request_id}', 'getUploadStatus', 'Status of an upload');
export const getUploadRoute = statusRoute('/api/uploads/{request_id}', 'getUpload', 'An upload request');

const EVENT_STREAM_EXAMPLE = [
  'event: progress',
  'data: {"request_id":"0b9d3c36-5b0e-4a35-9a8c-1f3f8c6f2a10","status":"processing","total":2,"processed":1,...}',
  'id: 4',
  '',
  ': heartbeat',
  '',
].join('\n');

export const getUploadEventsRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/uploads/{request_id}/events',
    operationId: 'getUploadEvents',
    tags: ['uploads'],
    summary: 'Live progress of an upload (Server-Sent Events)',
    description:
      'A `text/event-stream` of the request’s changes. `event: item` (data: an `UploadItem`) when an item changes; ' +
      '`event: progress` (data: an `UploadSummary`) when the counters or status change, and first on a stream ' +
      'opened without `Last-Event-ID`; `event: done` (data: the whole `UploadStatus`) once the request has ' +
      'finished, after which the stream ends — a request already finished answers that one event at once. Every ' +
      'event has an `id:` that only grows; reconnecting with `Last-Event-ID` sends each item changed since, in its ' +
      'current state, and the progress when it changed (or, for an id the server does not know, every item and ' +
      'the progress). A `: heartbeat` comment comes every 15 s. The gateway limits how many streams a client ' +
      'may hold open at once (`SSE_MAX_STREAMS_PER_CLIENT`); one more is answered 429.',
    request: {
      params: RequestParamsSchema,
      headers: z.object({
        'last-event-id': z
          .string()
          .optional()
          .meta({ description: 'The `id:` of the last event received: the stream resumes after it.' }),
      }),
    },
    responses: {
      200: {
        description: 'The event stream.',
        headers: { 'Cache-Control': header.text('`no-cache`.') },
        content: { 'text/event-stream': { schema: z.string().meta({ example: EVENT_STREAM_EXAMPLE }) } },
      },
      400: badRequestId,
      404: unknownRequest,
      ...databaseOutage,
    },
  }),
  general,
);

export const listUploadsRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/uploads',
    operationId: 'listUploads',
    tags: ['uploads'],
    summary: 'List upload requests',
    description:
      'A page of upload requests, newest first, without their items. With AUTH_MODE on, only the caller’s key’s ' +
      'own (an `admin` key sees every client’s); another key’s request is 404 on every operation.',
    request: { query: PageQuerySchema },
    responses: {
      200: json('A page of requests.', UploadListSchema),
      400: problem('validation_failed', 'A query parameter is invalid; `errors` names each one.'),
      ...databaseOutage,
    },
  }),
  general,
);

export const deleteUploadRoute = throughGateway(
  createRoute({
    method: 'delete',
    path: '/api/uploads/{request_id}',
    operationId: 'deleteUpload',
    tags: ['uploads'],
    summary: 'Delete a finished upload',
    description:
      'Deletes a finished request, its items and every file it stored (source images, outputs, thumbnails, ' +
      'output CSV); the products drop the images it attached. The request is gone at once for every other ' +
      'operation; its files go in the same call, or, when the call is cut short, in the background.',
    request: { params: RequestParamsSchema },
    responses: {
      204: { description: 'Deleted.' },
      400: badRequestId,
      404: unknownRequest,
      409: problem('conflict', 'The request is still processing; delete it once it has finished.'),
      503: problem('unavailable', 'The database or the storage is unreachable; retry (nothing is left half-deleted).', {
        'Retry-After': { ...header.retryAfter['Retry-After'], required: false },
      }),
    },
  }),
  general,
);

export const getOutputCsvRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/uploads/{request_id}/output.csv',
    operationId: 'getOutputCsv',
    tags: ['uploads'],
    summary: 'Output CSV of a finished upload',
    description:
      'The input rows with a fourth column, `Output Image Urls`, in the order of the inputs; an empty slot for ' +
      'an image that failed.',
    request: { params: RequestParamsSchema },
    responses: {
      200: {
        description: 'The CSV.',
        headers: { 'Content-Disposition': header.text('`attachment; filename="<request_id>.csv"`.') },
        content: { 'text/csv': { schema: z.string().meta({ example: 'Serial Number,Product Name,...' }) } },
      },
      400: badRequestId,
      404: unknownRequest,
      409: problem('conflict', 'The request is still processing; try again when it has finished.'),
      ...databaseOutage,
    },
  }),
  general,
);
