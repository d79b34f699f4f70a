import { describe, expect, it } from 'vitest';
import { createContractChecker, type OpenApiDocument } from './openapi-contract.ts';

const document: OpenApiDocument = {
  paths: {
    '/things/{id}': {
      get: {
        operationId: 'getThing',
        responses: {
          200: {
            headers: {
              Location: { required: true, schema: { type: 'string' } },
              'RateLimit-Limit': { schema: { type: 'integer' } },
            },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          204: {},
        },
      },
    },
  },
  components: {
    schemas: { Thing: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } },
  },
};
const exchange = (status: number, headers: Record<string, string>, body: string) => ({
  method: 'GET',
  path: '/things/1',
  status,
  headers: new Headers(headers),
  body: Buffer.from(body),
});
const good = { 'content-type': 'application/json', location: '/things/1' };

describe('the OpenAPI contract checker', () => {
  const checker = createContractChecker(document);

  it('accepts an exchange the document describes, and records its operation and status', () => {
    expect(checker.check(exchange(200, good, '{"id":1}'))).toEqual([]);
    expect(checker.check(exchange(204, {}, ''))).toEqual([]);
    expect([...checker.covered]).toEqual(['getThing 200', 'getThing 204']);
  });

  it('refuses an undocumented status, path or method', () => {
    expect(checker.check(exchange(404, good, '{}'))).toEqual(['getThing 404: the status is not documented']);
    expect(checker.check({ ...exchange(200, good, '{"id":1}'), path: '/things/1/x' })).toHaveLength(1);
    expect(checker.check({ ...exchange(200, good, '{"id":1}'), method: 'PUT' })).toHaveLength(1);
  });

  it('refuses a missing required header and a malformed integer header', () => {
    expect(checker.check(exchange(200, { 'content-type': 'application/json' }, '{"id":1}'))).toEqual([
      'getThing 200: header Location missing',
    ]);
    expect(checker.check(exchange(200, { ...good, 'ratelimit-limit': 'many' }, '{"id":1}'))).toEqual([
      'getThing 200: header RateLimit-Limit is not an integer',
    ]);
  });

  it('refuses a body against its schema, an undocumented media type, and a body where none is documented', () => {
    expect(checker.check(exchange(200, good, '{"id":"1"}'))).toEqual(['getThing 200: body/id must be integer']);
    expect(checker.check(exchange(200, { ...good, 'content-type': 'text/plain' }, 'x'))).toHaveLength(1);
    expect(checker.check(exchange(204, {}, 'x'))).toEqual(['getThing 204: a body of 1 bytes, none documented']);
  });
});
