import type { RouteConfig } from '@hono/zod-openapi';
import { requiredScope } from '../keys.ts';
import { type ErrorCode, errorStatus, PROBLEM_CONTENT_TYPE, ProblemSchema, problemType } from '../problem.ts';
import { errorExplanation } from '../problem-explanations.ts';
import type { z } from '../zod.ts';

type Header = { description: string; required: boolean; schema: { type: 'string' | 'integer'; minimum?: number } };
export type Headers = Record<string, Header>;

const text = (description: string, required = true): Header => ({ description, required, schema: { type: 'string' } });
const integer = (description: string, required = true): Header => ({
  description,
  required,
  schema: { type: 'integer', minimum: 0 },
});

/** Response headers named in the document, by the name they go out with. */
export const header = {
  text,
  requestId: { 'X-Request-Id': text('The request id: the client’s own when well-formed, else generated.') },
  rateLimit: (required: boolean): Headers => ({
    'RateLimit-Limit': integer('Requests allowed per window for this client.', required),
    'RateLimit-Remaining': integer('Requests left in the current window.', required),
    'RateLimit-Reset': integer('Seconds until the window resets.', required),
  }),
  retryAfter: { 'Retry-After': integer('Seconds to wait before trying again.') },
  location: { Location: text('The path of the created resource.') },
};

export const json = <S extends z.ZodType>(description: string, schema: S, headers: Headers = {}) => ({
  description,
  headers,
  content: { 'application/json': { schema } },
});

/** A problem+json response: what the operation means by it, and the page that explains its `type`. */
export const problem = (code: ErrorCode, description: string, headers: Headers = {}) => ({
  description: `${description} Problem type \`${problemType(code)}\`.`,
  headers,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/** The status of `code`, described by its general explanation. */
const problemOf = (code: ErrorCode, headers: Headers = {}) => ({
  [errorStatus[code]]: problem(code, errorExplanation[code], headers),
});

/** A database-backed operation: 503 with Retry-After while the database is unreachable, nothing changed. */
export const databaseOutage = problemOf('unavailable', header.retryAfter);

/** node:http's own answer to a body that trickles in too slowly: no body, the connection closed. */
const requestTimeout = {
  408: {
    description:
      'The whole request (headers and body) did not arrive within `HTTP_REQUEST_TIMEOUT_MS`; the connection is closed.',
  },
};

const WRITES = new Set(['post', 'put', 'patch', 'delete']);

export type GatewayPolicy = {
  /** The budget the gateway charges the operation to; `false` when never limited (`/health*`). */
  rateLimit: 'general' | 'upload' | false;
  /** Whether a service behind the gateway answers it (and so can fail with 500, 502, 504). */
  proxied?: boolean;
};

/**
 * Adds what the gateway does to an operation it serves: `X-Request-Id` (and the `RateLimit-*` budget) on
 * every response; 429 when limited; bearer auth with 401 and 403 where the operation needs a scope (writes
 * always, reads with AUTH_MODE=all; the keys API always); 413 and 408 when the operation takes a body; 400 for a
 * path with parameters that is not in canonical form; 431 for headers over the limit; 500, 502 and 504 when a
 * service answers it.
 */
export function throughGateway<R extends RouteConfig>(route: R, policy: GatewayPolicy): R {
  const { rateLimit, proxied = true } = policy;
  const scope = requiredScope(route.method, route.path);
  const write = WRITES.has(route.method);
  const responses: RouteConfig['responses'] = {
    ...route.responses,
    ...(rateLimit ? problemOf('rate_limited', { ...header.retryAfter, ...header.rateLimit(true) }) : {}),
    ...(scope ? problemOf('unauthorized', { 'WWW-Authenticate': text('`Bearer realm="api"`.') }) : {}),
    ...(scope ? { 403: problem('forbidden', `The key lacks the scope \`${scope}\`; \`detail\` names it.`) } : {}),
    ...(route.request?.body ? { ...problemOf('payload_too_large'), ...requestTimeout } : {}),
    // The gateway refuses a path not in canonical form (encoded slashes, dots, NULs) before routing it.
    ...(route.request?.params && !route.responses[400] ? problemOf('validation_failed') : {}),
    ...problemOf('headers_too_large'),
    ...(proxied ? { ...problemOf('internal'), ...problemOf('bad_gateway'), ...problemOf('gateway_timeout') } : {}),
  };
  const common: Headers = { ...header.requestId, ...(rateLimit ? header.rateLimit(false) : {}) };
  for (const [status, response] of Object.entries(responses)) {
    if ('$ref' in response) continue;
    responses[status] = { ...response, headers: { ...common, ...(response.headers as Headers | undefined) } };
  }
  if (!scope) return { ...route, responses };
  const needs =
    scope === 'admin'
      ? ' Needs a key with the scope `admin`.'
      : ` Needs a key with the scope \`${scope}\` when AUTH_MODE is \`all\`${write ? ' or `writes`' : ''}.`;
  // The key is optional where AUTH_MODE decides; the keys API always needs one.
  const security = scope === 'admin' ? [{ apiKey: [] }] : [{}, { apiKey: [] }];
  return { ...route, description: `${route.description ?? ''}${needs}`, security, responses };
}
