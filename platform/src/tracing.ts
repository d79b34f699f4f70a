import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { enableQuerySpans } from './query-spans.ts';
import { PARENT_SPAN_HEADER, PROBE_PATH } from './telemetry.ts';
import type { InstrumentationName } from './tracing-selection.ts';

/**
 * Whether an outgoing request already carries a trace context: the gateway's proxy propagates its own
 * span (one span per proxied request, as Envoy and nginx record) and needs no client span on top.
 * undici 7, ours and the one inside Node 24, hands the headers over as a flat [name, value, …] list.
 */
function carriesTraceContext(headers: unknown) {
  if (!Array.isArray(headers)) return false;
  for (let index = 0; index < headers.length; index += 2) {
    if (PARENT_SPAN_HEADER.test(String(headers[index]))) return true;
  }
  return false;
}

/**
 * The instrumentations this platform uses, listed explicitly (loading every auto-instrumentation doubles
 * start-up time): undici/fetch for every outgoing request, RabbitMQ (W3C context in message headers,
 * consumer spans children of the publisher's), Redis. Incoming requests get their server span from
 * startServerSpan (telemetry.ts) and SQL statements theirs from the platform's query hook
 * (query-spans.ts), which `pg` turns on; no service makes requests with node:http. Only the `names` given
 * are created: an instrumentation patches its library as soon as it is constructed.
 */
export function platformInstrumentations(names: InstrumentationName[]) {
  const create = {
    undici: () =>
      new UndiciInstrumentation({
        ignoreRequestHook: (request) => PROBE_PATH.test(request.path) || carriesTraceContext(request.headers),
      }),
    pg: () => enableQuerySpans(),
    amqplib: () => new AmqplibInstrumentation(),
    ioredis: () => new IORedisInstrumentation({ requireParentSpan: true }),
  };
  return names.map((name) => create[name]()).filter((instrumentation) => instrumentation !== undefined);
}

/** Starts the OpenTelemetry SDK from the standard OTEL_* variables only, with the `instrumentations` named. */
export function startTracing(instrumentations: InstrumentationName[]): NodeSDK {
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  process.env.OTEL_NODE_RESOURCE_DETECTORS ??= 'env,host,os,process';
  const sdk = new NodeSDK({ instrumentations: platformInstrumentations(instrumentations) });
  sdk.start();
  // Spans still buffered are exported before the process exits (handleShutdown exits from a signal).
  const stop = () => sdk.shutdown().catch(() => undefined);
  process.once('beforeExit', stop);
  return sdk;
}
