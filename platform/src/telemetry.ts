import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

export type { Context as TraceContext } from '@opentelemetry/api';

/**
 * The platform's own spans. A proxy from the API: it delegates to the SDK's tracer once the SDK
 * registers, so it can be taken when this module loads, and stays a no-op while tracing is off.
 */
const tracer = trace.getTracer('@ipp/platform');

/**
 * Runs `work` inside a span named for the work (`image.fetch`, `csv.generate`, …) as a child of the
 * active span. A thrown error is recorded on the span, marks it failed and is rethrown. The span is
 * handed to `work` so it can add attributes learnt on the way (bytes, dimensions, outcome). With
 * tracing off this costs a no-op span.
 */
export function withSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T> | T): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      const exception = error instanceof Error ? error : new Error(String(error));
      span.recordException(exception);
      span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Exports the spans the batch processor still holds; the last step of a graceful shutdown, since
 * `process.exit` would drop them. Resolves at once when tracing is off.
 */
export async function flushTelemetry(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await provider.getDelegate?.().forceFlush?.();
}

/** Probes and scrapes arrive every few seconds from orchestrators and the aggregator: not worth a trace. */
export const PROBE_PATH = /^\/(health\/(live|ready)|metrics)(\?|$)/;

/**
 * Headers of the propagation formats OTEL_PROPAGATORS can name: W3C trace context and baggage, B3 (single
 * and multi) and Jaeger. With tracing on, the gateway replaces a client's with its own span's; with it
 * off they pass through untouched.
 */
export const PROPAGATION_HEADER = /^(traceparent|tracestate|baggage|b3|x-b3-.*|uber-trace-id|uberctx-.*)$/i;

/** The propagation headers that name a parent span: a request carrying one has its trace context already. */
export const PARENT_SPAN_HEADER = /^(traceparent|b3|x-b3-traceid|uber-trace-id)$/i;

/** A request's headers: one by its lower-case name (a repeated one may be a list), and every name. */
export type RequestHeaders = { get(name: string): string | string[] | undefined; names(): string[] };

const headerGetter: TextMapGetter<RequestHeaders> = {
  get: (headers, key) => headers.get(key),
  // Only propagators that look for prefixed headers (Jaeger's baggage) list them.
  keys: (headers) => headers.names(),
};

export type ServerSpan = {
  /** For a log line written outside the span's context (a listener on the response, say). */
  ids: { trace_id: string; span_id: string };
  /** Whether the span is kept (sampled): one that is not costs only its context, which still propagates. */
  recording: boolean;
  /** The request's trace context, to pass on explicitly (traceContextHeaders) without entering it. */
  context: Context;
  /** Runs the request's handling in this span's context, so its spans and log lines belong to it. */
  run<T>(handle: () => T): T;
  /**
   * Names a kept span by route, records the status (5xx marks it failed) and what else is known, and ends
   * it; nothing for a span not kept.
   */
  end(route: string, status: number, attributes?: Attributes): void;
};

/**
 * The SERVER span of one incoming HTTP request, continuing the trace context its headers carry.
 * Written here rather than taken from the generic node:http instrumentation, which cost the product
 * service a third of its throughput: the span carries what a reader of the trace needs (method, path,
 * route, status, request id) and nothing is patched. A request the sampler does not keep gets the
 * non-recording span propagation needs and nothing more: no attributes are built for it (no standard
 * sampler reads them), so callers add theirs at `end`, only when `recording`. Undefined for probe paths
 * and when tracing is off.
 */
export function startServerSpan(method: string, path: string, headers: RequestHeaders): ServerSpan | undefined {
  if (PROBE_PATH.test(path)) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  const span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
  // Tracing is off (no SDK registered): there is no trace to continue or log.
  if (!isSpanContextValid(span.spanContext())) return undefined;
  const active = trace.setSpan(parent, span);
  const { traceId, spanId } = span.spanContext();
  const recording = span.isRecording();
  if (recording) {
    const userAgent = headers.get('user-agent');
    span.setAttributes({
      'http.request.method': method,
      'url.path': path,
      'url.scheme': 'http',
      ...(typeof userAgent === 'string' ? { 'user_agent.original': userAgent } : {}),
    });
  }
  return {
    ids: { trace_id: traceId, span_id: spanId },
    recording,
    context: active,
    run: (handle) => context.with(active, handle),
    end(route, status, attributes) {
      if (!recording) return;
      span.updateName(`${method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', status);
      if (attributes) span.setAttributes(attributes);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/**
 * The headers (W3C `traceparent`, `tracestate`, `baggage` by default: OTEL_PROPAGATORS) that carry a
 * trace context, the active one unless given, to another service; empty when tracing is off.
 */
export function traceContextHeaders(from: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(from, headers);
  return headers;
}
