import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers on every public response: no sniffing, no framing, no referrer leaks. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

const EXPOSED =
  'x-request-id, ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, location, content-disposition, ' +
  'etag, idempotent-replayed, content-range, allow';
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, x-request-id, traceparent, tracestate';
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/**
 * CORS from CORS_ORIGINS: empty sends nothing, `*` allows any origin, otherwise the request's Origin is
 * echoed when listed. Adds its headers to `headers` (the exchange's own); returns true when the request
 * was a preflight and has been answered.
 */
export function createCors(origins: string[]) {
  const any = origins.includes('*');
  const listed = new Set(origins);
  return (req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): boolean => {
    const origin = req.headers.origin;
    if (origins.length === 0 || !origin) return false;
    if (!any) {
      headers.vary = 'Origin';
      if (!listed.has(origin)) return false;
    }
    headers['access-control-allow-origin'] = any ? '*' : origin;
    headers['access-control-expose-headers'] = EXPOSED;
    if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
    res.writeHead(204, {
      ...headers,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': '600',
      'content-length': '0',
    });
    res.end();
    return true;
  };
}
