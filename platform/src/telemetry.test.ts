import { SpanStatusCode } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nameServerSpan, withSpan } from './telemetry.ts';

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

describe('nameServerSpan', () => {
  it('renames the active span by route and records the route', async () => {
    exporter.reset();
    await withSpan('GET', {}, () => nameServerSpan('GET', '/api/products/*'));
    const [span] = await finishedSpans();
    expect(span?.name).toBe('GET /api/products/*');
    expect(span?.attributes['http.route']).toBe('/api/products/*');
  });
});
