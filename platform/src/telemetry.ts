import { type Attributes, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * Runs `work` inside a span named for the work (`image.fetch`, `csv.generate`, …) as a child of the
 * active span. A thrown error is recorded on the span, marks it failed and is rethrown. The span is
 * handed to `work` so it can add attributes learnt on the way (bytes, dimensions, outcome). With
 * tracing off this costs a no-op span.
 */
export function withSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T> | T): Promise<T> {
  // Looked up per call: a tracer taken before the SDK registers would stay a no-op.
  return trace.getTracer('@ipp/platform').startActiveSpan(name, { attributes }, async (span) => {
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

/**
 * Names the active server span by route (`POST /api/upload`, not `POST`) and sets `http.route`, for servers
 * that route by themselves rather than through createHttpApp (the gateway).
 */
export function nameServerSpan(method: string, route: string): void {
  const span = trace.getActiveSpan();
  span?.updateName(`${method} ${route}`);
  span?.setAttribute('http.route', route);
}
