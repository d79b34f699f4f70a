import { createRoute } from '@hono/zod-openapi';
import { CreatedKeySchema, CreateKeySchema, KeyIdSchema, KeyListSchema, ListKeysQuerySchema } from '../keys.ts';
import { z } from '../zod.ts';
import { databaseOutage, json, problem, throughGateway } from './responses.ts';

const general = { rateLimit: 'general' } as const;

export const createKeyRoute = throughGateway(
  createRoute({
    method: 'post',
    path: '/api/keys',
    operationId: 'createKey',
    tags: ['keys'],
    summary: 'Create an API key',
    description:
      'Mints a key with a name, scopes, an optional expiry and optional rate limits of its own. The answer is the ' +
      'only time the key itself is shown: only its SHA-256 is stored.',
    request: {
      body: {
        required: true,
        description: 'The new key.',
        content: { 'application/json': { schema: CreateKeySchema } },
      },
    },
    responses: {
      201: json('The created key, with the key itself.', CreatedKeySchema),
      400: problem('validation_failed', 'The body is malformed or invalid; `errors` names every field.'),
      415: problem('unsupported_media_type', 'The body is not JSON (`Content-Type: application/json`).'),
      ...databaseOutage,
    },
  }),
  general,
);

export const listKeysRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/api/keys',
    operationId: 'listKeys',
    tags: ['keys'],
    summary: 'List API keys',
    description:
      'A page of keys, newest first, revoked ones included: prefix, scopes, expiry, last use; never the key.',
    request: { query: ListKeysQuerySchema },
    responses: {
      200: json('A page of keys.', KeyListSchema),
      400: problem('validation_failed', 'A query parameter is invalid; `errors` names each one.'),
      ...databaseOutage,
    },
  }),
  general,
);

export const revokeKeyRoute = throughGateway(
  createRoute({
    method: 'delete',
    path: '/api/keys/{id}',
    operationId: 'revokeKey',
    tags: ['keys'],
    summary: 'Revoke an API key',
    description:
      'Revokes the key for good; every gateway refuses it within 5 seconds. Revoking a revoked key changes nothing.',
    request: { params: z.object({ id: KeyIdSchema.meta({ example: '6f1c2a4e-3b5d-4e7f-8a9b-0c1d2e3f4a5b' }) }) },
    responses: {
      204: { description: 'Revoked.' },
      400: problem('validation_failed', 'The id is not a UUID; `errors` names it.'),
      404: problem('not_found', 'No key has this id.'),
      ...databaseOutage,
    },
  }),
  general,
);
