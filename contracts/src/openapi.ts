import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { HealthDetailedSchema, HealthSummarySchema, ProbeSchema } from './health.ts';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem.ts';
import {
  CreateProductSchema,
  ListProductsQuerySchema,
  ProductListSchema,
  ProductSchema,
  UpdateProductSchema,
} from './products.ts';
import {
  UploadAcceptedSchema,
  UploadListQuerySchema,
  UploadListSchema,
  UploadOptionsSchema,
  UploadStatusSchema,
} from './uploads.ts';
import { z } from './zod.ts';

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});
const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParam = z.object({ id: z.string().meta({ example: '42' }) });
const requestIdParam = z.object({ request_id: z.uuid() });
const rateLimited = { 429: problem('Rate limit exceeded; see Retry-After.') };

/** Builds the public OpenAPI document from the contract schemas; never written by hand. */
export function buildOpenApiDocument(options: { version: string; serverUrl?: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });

  registry.registerPath({
    method: 'get',
    path: '/api/products',
    summary: 'List products, searchable and paginated',
    tags: ['products'],
    request: { query: ListProductsQuerySchema },
    responses: { 200: json('A page of products.', ProductListSchema), 400: problem('Invalid query.'), ...rateLimited },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/products/{id}',
    summary: 'Get a product',
    tags: ['products'],
    request: { params: idParam },
    responses: {
      200: json('The product.', ProductSchema),
      400: problem('Invalid id.'),
      404: problem('No such product.'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/products',
    summary: 'Create a product',
    tags: ['products'],
    security: [{ apiKey: [] }],
    request: { body: { content: { 'application/json': { schema: CreateProductSchema } } } },
    responses: {
      201: json('Created; Location names the new product.', ProductSchema),
      400: problem('Invalid body; `errors` lists every field.'),
      401: problem('API key missing or wrong.'),
      409: problem('A product with this serial number exists.'),
      415: problem('The body is not JSON.'),
      ...rateLimited,
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/api/products/{id}',
    summary: 'Update a product',
    tags: ['products'],
    security: [{ apiKey: [] }],
    request: { params: idParam, body: { content: { 'application/json': { schema: UpdateProductSchema } } } },
    responses: {
      200: json('The updated product.', ProductSchema),
      400: problem('Invalid body or id.'),
      404: problem('No such product.'),
      409: problem('Another product has this serial number.'),
      415: problem('The body is not JSON.'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/products/{id}',
    summary: 'Delete a product',
    tags: ['products'],
    security: [{ apiKey: [] }],
    request: { params: idParam },
    responses: { 204: { description: 'Deleted.' }, 404: problem('No such product.') },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/upload',
    summary: 'Upload a CSV of products and image URLs, or image files',
    tags: ['uploads'],
    security: [{ apiKey: [] }],
    request: {
      headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
      body: {
        content: {
          'multipart/form-data': {
            schema: UploadOptionsSchema.extend({
              file: z
                .string()
                .meta({ format: 'binary', description: 'CSV: Serial Number,Product Name,Input Image Urls' })
                .optional(),
              images: z.array(z.string().meta({ format: 'binary' })).optional(),
              serial_number: z.string().optional(),
              name: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: json('Replay of an earlier upload (same Idempotency-Key and content).', UploadAcceptedSchema),
      202: json('Accepted; follow status_url.', UploadAcceptedSchema),
      400: problem('Invalid upload; `errors` gives the row and column of every problem.'),
      409: problem('The Idempotency-Key was already used with different content.'),
      413: problem('Too large.'),
      415: problem('Not a CSV or an image.'),
      503: problem('The product service is unreachable; nothing was stored, retry.'),
      ...rateLimited,
    },
  });
  for (const path of ['/api/status/{request_id}', '/api/uploads/{request_id}']) {
    registry.registerPath({
      method: 'get',
      path,
      summary: 'Status of an upload request',
      tags: ['uploads'],
      request: { params: requestIdParam },
      responses: { 200: json('The request and its items.', UploadStatusSchema), 404: problem('No such request.') },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/api/uploads',
    summary: 'List upload requests, newest first',
    tags: ['uploads'],
    request: { query: UploadListQuerySchema },
    responses: { 200: json('A page of requests.', UploadListSchema), 400: problem('Invalid query.') },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/uploads/{request_id}/output.csv',
    summary: 'The output CSV of a finished request',
    tags: ['uploads'],
    request: { params: requestIdParam },
    responses: {
      200: { description: 'Input rows plus Output Image Urls.', content: { 'text/csv': { schema: z.string() } } },
      404: problem('No such request.'),
      409: problem('Still processing.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/files/{key}',
    summary: 'A stored image',
    tags: ['uploads'],
    request: { params: z.object({ key: z.string() }) },
    responses: { 200: { description: 'Image bytes, immutable.' }, 404: problem('No such file.') },
  });

  registry.registerPath({
    method: 'get',
    path: '/health',
    summary: 'Overall status',
    tags: ['health'],
    responses: { 200: json('Status summary.', HealthSummarySchema), 503: json('Down.', HealthSummarySchema) },
  });
  registry.registerPath({
    method: 'get',
    path: '/health/live',
    summary: 'Liveness',
    tags: ['health'],
    responses: { 200: json('The process serves.', ProbeSchema) },
  });
  registry.registerPath({
    method: 'get',
    path: '/health/ready',
    summary: 'Readiness of every critical dependency',
    tags: ['health'],
    responses: { 200: json('Ready.', ProbeSchema), 503: json('Not ready; names what is not.', ProbeSchema) },
  });
  registry.registerPath({
    method: 'get',
    path: '/health/detailed',
    summary: 'Every check with latency, queues and system resources',
    tags: ['health'],
    responses: { 200: json('Details.', HealthDetailedSchema), 503: json('Down.', HealthDetailedSchema) },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Image Processing Platform',
      version: options.version,
      description: 'Products, image uploads and their processing. Errors are application/problem+json (RFC 9457).',
    },
    servers: options.serverUrl ? [{ url: options.serverUrl }] : [],
  });
}
