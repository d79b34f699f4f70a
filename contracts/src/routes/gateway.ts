import { createRoute } from '@hono/zod-openapi';
import { errorStatus } from '../problem.ts';
import { z } from '../zod.ts';
import { problem, throughGateway } from './responses.ts';

// The gateway's own pages: this document, its reference page and the page of each problem type.
const page = (description: string) => ({
  description,
  content: { 'text/html': { schema: z.string().meta({ example: '<!doctype html>' }) } },
});
const general = { rateLimit: 'general', proxied: false } as const;

export const getOpenApiDocumentRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: ['documentation'],
    summary: 'This OpenAPI document',
    description: 'Generated at start-up from the route declarations every service is built from.',
    responses: {
      200: {
        description: 'The OpenAPI 3.1 document.',
        content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } },
      },
    },
  }),
  general,
);

export const getApiReferenceRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/docs',
    operationId: 'getApiReference',
    tags: ['documentation'],
    summary: 'API reference',
    description: 'A browsable reference of this document.',
    responses: { 200: page('The reference page.') },
  }),
  general,
);

export const getProblemTypeRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/problems/{code}',
    operationId: 'getProblemType',
    tags: ['documentation'],
    summary: 'A problem type',
    description: 'What a problem `type` means and what to do about it; every problem’s `type` links here.',
    request: {
      params: z.object({
        code: z
          .enum(Object.keys(errorStatus).map((code) => code.replaceAll('_', '-')) as [string, ...string[]])
          .meta({ example: 'validation-failed' }),
      }),
    },
    responses: {
      200: page('The explanation of the problem type.'),
      404: problem('not_found', 'No problem type has this name.'),
    },
  }),
  general,
);
