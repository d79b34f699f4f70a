import type { ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import { type Context, Hono, type Next } from 'hono';
import { isDatabaseUnavailable } from './database-outage.ts';
import { AppError, problemResponse } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.ts';
import { type ServerSpan, startServerSpan } from './telemetry.ts';

export type AppEnv = { Variables: { requestId: string; log: Logger } };

/**
 * A Hono app with what every service's API needs: request ids, one log line per request, HTTP metrics,
 * problem+json for every error and for unknown routes. Routes mount on it.
 */
export function createHttpApp(options: { logger: Logger; metrics: Metrics }) {
  const { logger, metrics } = options;
  const app = new Hono<AppEnv>();

  /** Runs the request; then one metrics observation, one log line, and the end of its span. */
  async function observe(c: Context<AppEnv>, next: Next, requestId: string, span: ServerSpan | undefined) {
    const started = performance.now();
    c.set('requestId', requestId);
    c.set('log', logger.child({ request_id: requestId }));
    try {
      await next();
      c.res.headers.set(REQUEST_ID_HEADER, requestId);
    } finally {
      const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
      const status = c.res.status;
      const seconds = (performance.now() - started) / 1000;
      metrics.observeHttp(c.req.method, route, status, seconds);
      if (span?.recording) {
        // On Node the span lasts until the body is written (a file download, say); elsewhere it ends here.
        const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
        const end = () => span.end(route, status, { 'http.response.header.x-request-id': [requestId] });
        if (outgoing && !outgoing.destroyed) outgoing.once('close', end);
        else end();
      }
      if (!c.req.path.startsWith('/health') && c.req.path !== '/metrics') {
        c.get('log').info(
          { method: c.req.method, route, path: c.req.path, status, duration_ms: Math.round(seconds * 1e4) / 10 },
          'request',
        );
      }
    }
  }

  app.use((c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    const headers = { get: (name: string) => c.req.header(name), names: () => Object.keys(c.req.header()) };
    const span = startServerSpan(c.req.method, c.req.path, headers);
    return span ? span.run(() => observe(c, next, requestId, span)) : observe(c, next, requestId, undefined);
  });

  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? requestIdFrom(undefined);
    if (error instanceof AppError) {
      return problemResponse(error.code, error.message, requestId, { errors: error.errors, headers: error.headers });
    }
    // Hono's own HTTPException (e.g. a malformed JSON body) carries a 4xx status.
    const status = (error as { status?: number }).status;
    if (status === 400) return problemResponse('validation_failed', error.message || 'Malformed request', requestId);
    if (status === 413)
      return problemResponse('payload_too_large', error.message || 'Request body too large', requestId);
    if (isDatabaseUnavailable(error)) {
      (c.get('log') ?? logger).warn({ err: error }, 'database unavailable');
      return problemResponse(
        'unavailable',
        'The database is unavailable; nothing was changed, retry shortly.',
        requestId,
        {
          headers: { 'retry-after': '5' },
        },
      );
    }
    (c.get('log') ?? logger).error({ err: error }, 'unhandled error');
    trace.getActiveSpan()?.recordException(error);
    return problemResponse(
      'internal',
      'An unexpected error occurred; quote the request id when reporting it.',
      requestId,
    );
  });

  app.notFound((c) =>
    problemResponse(
      'not_found',
      `No route for ${c.req.method} ${c.req.path}`,
      c.get('requestId') ?? requestIdFrom(undefined),
    ),
  );

  return app;
}
