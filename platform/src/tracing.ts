import type { IncomingMessage, RequestOptions } from 'node:http';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** Probes and scrapes arrive every few seconds from orchestrators and the aggregator: not worth a trace. */
const PROBE_PATH = /^\/(health\/(live|ready)|metrics)(\?|$)/;

/** W3C context headers a proxy may have copied from its client: the instrumentation injects its own. */
const CONTEXT_HEADERS = new Set(['traceparent', 'tracestate', 'baggage']);

/**
 * undici appends the injected context to the request's headers; a copied client `traceparent` left in
 * place would reach the upstream twice (an invalid, ignored context, so a broken trace).
 */
function dropCopiedContext(request: { headers: unknown }) {
  const { headers } = request;
  if (Array.isArray(headers)) {
    for (let index = headers.length - 2; index >= 0; index -= 2) {
      if (CONTEXT_HEADERS.has(String(headers[index]).toLowerCase())) headers.splice(index, 2);
    }
  } else if (typeof headers === 'string') {
    request.headers = headers
      .split('\r\n')
      .filter((line) => !CONTEXT_HEADERS.has(line.slice(0, line.indexOf(':')).trim().toLowerCase()))
      .join('\r\n');
  }
}

/**
 * The instrumentations this platform uses, listed explicitly (loading every auto-instrumentation doubles
 * start-up time): HTTP in and out, undici/fetch, PostgreSQL, RabbitMQ (W3C context in message headers,
 * consumer spans children of the publisher's), Redis.
 */
export function platformInstrumentations() {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => PROBE_PATH.test(request.url ?? ''),
      ignoreOutgoingRequestHook: (options: RequestOptions) => PROBE_PATH.test(options.path ?? ''),
    }),
    new UndiciInstrumentation({
      ignoreRequestHook: (request) => PROBE_PATH.test(request.path),
      requestHook: (_span, request) => dropCopiedContext(request),
    }),
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    new AmqplibInstrumentation(),
    new IORedisInstrumentation({ requireParentSpan: true }),
  ];
}

/** Starts the OpenTelemetry SDK from the standard OTEL_* variables only. */
export function startTracing(): NodeSDK {
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  process.env.OTEL_NODE_RESOURCE_DETECTORS ??= 'env,host,os,process';
  const sdk = new NodeSDK({ instrumentations: platformInstrumentations() });
  sdk.start();
  // Spans still buffered are exported before the process exits (handleShutdown exits from a signal).
  const stop = () => sdk.shutdown().catch(() => undefined);
  process.once('beforeExit', stop);
  return sdk;
}
