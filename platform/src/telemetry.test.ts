import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerSpan, traceContextHeaders, withSpan } from './telemetry.ts';

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
const sdk = new NodeSDK({ spanProcessors: [processor], instrumentations: [], resourceDetectors: [] });

async function finishedSpans() {
  await processor.forceFlush();
  return exporter.getFinishedSpans();
}

beforeAll(() => sdk.start());
afterAll(() => sdk.shutdown());

describe('withSpan', () => {
  it('records a named span with its attributes, the ones added on the way, and the child spans under it', async () => {
    const result = await withSpan('image.process', { 'image.item_id': 'a' }, async (span) => {
      await withSpan('image.fetch', {}, async () => undefined);
      span.setAttribute('image.output_bytes', 1234);
      return 'done';
    });
    expect(result).toBe('done');
    const spans = await finishedSpans();
    const outer = spans.find((span) => span.name === 'image.process');
    const inner = spans.find((span) => span.name === 'image.fetch');
    expect(outer?.attributes).toMatchObject({ 'image.item_id': 'a', 'image.output_bytes': 1234 });
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
    expect(inner?.spanContext().traceId).toBe(outer?.spanContext().traceId);
  });

  it('records a thrown error on the span, marks it failed and rethrows it', async () => {
    exporter.reset();
    await expect(
      withSpan('webhook.deliver', {}, () => {
        throw new Error('connection refused');
      }),
    ).rejects.toThrow('connection refused');
    const [span] = await finishedSpans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection refused' });
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
  });
});

const from = (headers: Record<string, string>) => ({
  get: (name: string) => headers[name],
  names: () => Object.keys(headers),
});

describe('startServerSpan', () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const callerSpanId = 'b7ad6b7169203331';
  const headers: Record<string, string> = {
    traceparent: `00-${traceId}-${callerSpanId}-01`,
    'user-agent': 'curl/8.5.0',
  };

  it("continues the caller's trace, parents the request's own spans and is named by route when it ends", async () => {
    exporter.reset();
    const server = startServerSpan('GET', '/api/products/7', from(headers));
    if (!server) throw new Error('no span for an API path');
    expect(server.recording).toBe(true);
    await server.run(() => withSpan('pg.query', {}, () => undefined));
    server.end('/api/products/:id', 404, { 'gateway.upstream': 'product', 'client.address': '10.0.0.9' });
    const spans = await finishedSpans();
    const span = spans.find((each) => each.kind === SpanKind.SERVER);
    const child = spans.find((each) => each.name === 'pg.query');
    expect(span?.name).toBe('GET /api/products/:id');
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(child?.parentSpanContext?.spanId).toBe(span?.spanContext().spanId);
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/api/products/7',
      'http.route': '/api/products/:id',
      'http.response.status_code': 404,
      'user_agent.original': 'curl/8.5.0',
      'client.address': '10.0.0.9',
      'gateway.upstream': 'product',
    });
    // A 4xx is the client's mistake, not a failure of the server.
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a 5xx answer failed and starts a new trace without a caller context', async () => {
    exporter.reset();
    startServerSpan('POST', '/api/upload', from({}))?.end('/api/upload', 503);
    const [span] = await finishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('for a caller whose trace is not kept, records nothing and passes the context on as not kept', async () => {
    exporter.reset();
    const notKept = `00-${traceId}-${callerSpanId}-00`;
    const server = startServerSpan('GET', '/api/products', from({ traceparent: notKept }));
    if (!server) throw new Error('tracing is on: a server span was expected');
    expect(server.recording).toBe(false);
    expect(server.ids.trace_id).toBe(traceId);
    // Passed on explicitly (the gateway) or from within its context (the services): the same trace, not sampled.
    const outgoing = traceContextHeaders(server.context).traceparent;
    expect(outgoing).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    expect(server.run(() => traceContextHeaders().traceparent)).toBe(outgoing);
    server.end('/api/products', 200);
    expect(await finishedSpans()).toEqual([]);
  });

  it('leaves probes and metrics scrapes untraced', () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      expect(startServerSpan('GET', path, from({}))).toBeUndefined();
    }
    expect(startServerSpan('GET', '/health/detailed', from({}))).toBeDefined();
  });
});
