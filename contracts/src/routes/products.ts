import { createRoute } from '@hono/zod-openapi';
import {
  CreateProductSchema,
  ListProductsQuerySchema,
  ProductIdSchema,
  ProductListSchema,
  ProductSchema,
  UpdateProductSchema,
} from '../products.ts';
import { z } from '../zod.ts';
import { databaseOutage, header, json, problem, throughGateway } from './responses.ts';

const ProductParamsSchema = z.object({ id: ProductIdSchema });
const jsonBody = <S extends z.ZodType>(schema: S, description: string) => ({
  required: true as const,
  description,
  content: { 'application/json': { schema } },
});
const badId = problem('validation_failed', 'The id is not a positive integer; `errors` names it.');
const notFound = problem('not_found', 'No product has this id.');
const notJson = problem('unsupported_media_type', 'The body is not JSON (`Content-Type: application/json`).');
const general = { rateLimit: 'general' } as const;

export const listProductsRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/products',
    operationId: 'listProducts',
    tags: ['products'],
    summary: 'List products',
    description:
      'A page of products, newest first, each with its processed images. `search` matches the name or the serial ' +
      'number, case-insensitive, anywhere in the text.',
    request: { query: ListProductsQuerySchema },
    responses: {
      200: json('A page of products.', ProductListSchema),
      400: problem('validation_failed', 'A query parameter is invalid; `errors` names each one.'),
      ...databaseOutage,
    },
  }),
  general,
);

export const getProductRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/products/{id}',
    operationId: 'getProduct',
    tags: ['products'],
    summary: 'Get a product',
    description: 'One product with its processed images.',
    request: { params: ProductParamsSchema },
    responses: { 200: json('The product.', ProductSchema), 400: badId, 404: notFound, ...databaseOutage },
  }),
  general,
);

export const createProductRoute = throughGateway(
  createRoute({
    method: 'post',
    path: '/api/products',
    operationId: 'createProduct',
    tags: ['products'],
    summary: 'Create a product',
    description: 'Creates a product; its serial number must not exist yet. `Location` names the new product.',
    request: { body: jsonBody(CreateProductSchema, 'The new product.') },
    responses: {
      201: json('The created product.', ProductSchema, header.location),
      400: problem('validation_failed', 'The body is malformed or invalid; `errors` names every field.'),
      409: problem('conflict', 'A product with this serial number exists.'),
      415: notJson,
      ...databaseOutage,
    },
  }),
  general,
);

export const updateProductRoute = throughGateway(
  createRoute({
    method: 'put',
    path: '/api/products/{id}',
    operationId: 'updateProduct',
    tags: ['products'],
    summary: 'Update a product',
    description: 'Replaces the fields the body gives; a field left out keeps its value. At least one field.',
    request: { params: ProductParamsSchema, body: jsonBody(UpdateProductSchema, 'The fields to replace.') },
    responses: {
      200: json('The updated product.', ProductSchema),
      400: problem('validation_failed', 'The id or the body is invalid; `errors` names every field.'),
      404: notFound,
      409: problem('conflict', 'Another product has this serial number.'),
      415: notJson,
      ...databaseOutage,
    },
  }),
  general,
);

export const deleteProductRoute = throughGateway(
  createRoute({
    method: 'delete',
    path: '/api/products/{id}',
    operationId: 'deleteProduct',
    tags: ['products'],
    summary: 'Delete a product',
    description: 'Deletes a product and the records of its images.',
    request: { params: ProductParamsSchema },
    responses: { 204: { description: 'Deleted.' }, 400: badId, 404: notFound, ...databaseOutage },
  }),
  general,
);
