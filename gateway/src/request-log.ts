import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@ipp/platform';
import { pino } from 'pino';
import type { GatewayMetrics } from './gateway-metrics.ts';
import type { ForwardContext } from './proxy.ts';
import type { Route } from './route-table.ts';

/**
 * The per-request log line's own logger: same shape as the platform's (`service`, `level`, `time`,
 * `message`) on the same destination, minus the redaction pass — a request line is built from named
 * fields only and never carries headers, so there is nothing to redact and a hot path to keep cheap.
 */
export function createRequestLogger(options: { level: string; destination: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'gateway' },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/**
 * One buffered destination for both loggers: under load, lines leave in 4 KiB writes rather than one
 * syscall each; at most a second later when traffic is light.
 */
export function logDestination(flushEveryMs = 1000) {
  const destination = pino.destination({ sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Destroyed while shutting down: nothing left to write.
    }
  }, flushEveryMs).unref();
  return destination;
}

/** Once a request is over: one log line and one metrics observation, from what the exchange recorded. */
export function createRequestRecorder(options: { logger: Logger; metrics: GatewayMetrics }) {
  const { logger, metrics } = options;
  return (
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    context: ForwardContext,
    client: string,
    started: number,
    trace?: { trace_id: string; span_id: string },
  ) => {
    const seconds = (performance.now() - started) / 1000;
    // 499: the client went away before an answer (nginx's convention).
    const status = res.headersSent ? res.statusCode : 499;
    if (!res.writableFinished) context.failure ??= 'aborted';
    const upstream = route.kind === 'proxy' ? route.upstream : undefined;
    if (upstream && context.failure && context.failure !== 'aborted' && context.failure !== 'too_large') {
      metrics.upstreamFailed(upstream, context.failure);
    }
    metrics.observeHttp(req.method ?? 'GET', route.name, status, seconds);
    logger.info(
      {
        request_id: context.requestId,
        method: req.method,
        route: route.name,
        path: req.url?.split('?', 1)[0],
        status,
        duration_ms: Math.round(seconds * 10_000) / 10,
        bytes_in: context.bytes.in,
        bytes_out: context.bytes.out,
        client,
        upstream,
        // The verified key's id, never the key.
        ...(context.keyId ? { key_id: context.keyId } : {}),
        ...(context.failure ? { failure: context.failure } : {}),
        ...trace,
      },
      'request',
    );
  };
}
