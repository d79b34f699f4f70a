import { createRoute } from '@hono/zod-openapi';
import { z } from '../zod.ts';
import { header, problem, throughGateway } from './responses.ts';

// Storage keys hold `/` (`uploads/<name>`, `outputs/<request_id>/<name>`), which a `{key}` template cannot
// match, so each key layout is a path of its own.
const cacheHeaders = {
  ETag: header.text('The version of the bytes; send it back in `If-None-Match`.'),
  'Cache-Control': header.text('`public, max-age=31536000, immutable`: a key is never reused.'),
};
const bytes = (description: string, headers = {}) => ({
  description,
  headers: { ...cacheHeaders, 'Accept-Ranges': header.text('`bytes`.'), ...headers },
  content: { 'image/*': { schema: z.string().meta({ format: 'binary' }) } },
});
const imageResponses = {
  200: bytes('The image bytes, with their `Content-Type`.'),
  206: bytes('The range `Range` asked for.', { 'Content-Range': header.text('`bytes <first>-<last>/<size>`.') }),
  302: {
    description: 'With object storage set to redirect: `Location` is a presigned URL of the bytes, valid for a while.',
    headers: {
      Location: header.text('The presigned URL.'),
      'Cache-Control': header.text('As long as the URL is valid.'),
    },
  },
  304: { description: 'Not modified: `If-None-Match` names the current `ETag`.', headers: cacheHeaders },
  400: problem('validation_failed', 'The path is not a key the storage layout could have made.'),
  404: problem('not_found', 'No file has this key.'),
  416: {
    description: 'The `Range` lies outside the file.',
    headers: { 'Content-Range': header.text('`bytes */<size>`.') },
  },
};
const Name = z
  .string()
  .regex(/^[\w.-]+$/)
  .meta({ example: '7f0c8a52-7c2c-4bde-9d2b-1d1f7f2d6b8e.jpg' });
const conditional = z.object({
  'if-none-match': z.string().optional().meta({ description: 'An `ETag` from an earlier answer.' }),
  range: z.string().optional().meta({ description: 'One range, `bytes=<first>-<last>`.', example: 'bytes=0-1023' }),
});
const description =
  'Stored bytes are immutable: answers carry an `ETag` and a year-long cache lifetime; `If-None-Match` with the ' +
  'current ETag answers 304, and one `Range` is served as 206. File URLs are capability URLs: their keys are ' +
  'random and unguessable, and they need no API key in any AUTH_MODE, so whoever holds one can read the file.';

export const getUploadedFileRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/files/uploads/{name}',
    operationId: 'getUploadedFile',
    tags: ['files'],
    summary: 'An uploaded source image',
    description: `An image file as it was uploaded (the \`input_url\` of an image upload). ${description}`,
    request: { params: z.object({ name: Name }), headers: conditional },
    responses: imageResponses,
  }),
  { rateLimit: 'general' },
);

export const getOutputFileRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/files/outputs/{request_id}/{name}',
    operationId: 'getOutputFile',
    tags: ['files'],
    summary: 'A processed image or thumbnail',
    description: `A processed image or its thumbnail (an \`output_url\` or \`thumbnail_url\`). ${description}`,
    request: { params: z.object({ request_id: z.uuid(), name: Name }), headers: conditional },
    responses: imageResponses,
  }),
  { rateLimit: 'general' },
);
