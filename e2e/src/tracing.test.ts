import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';
import { parentOf, type ReceivedSpan, startOtlpReceiver } from './tracing-receiver.ts';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let stack: Stack;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({
    label: 'tracing',
    services: ['product', 'gateway'],
    env: { ...receiver.env, LOG_LEVEL: 'info' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const find = (spans: ReceivedSpan[], service: string, kind: ReceivedSpan['kind']) =>
  spans.find((span) => span.service === service && span.kind === kind);

describe('one request is one trace across processes', () => {
  it('continues the client traceparent through the gateway into the product service and its database', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`${stack.gatewayUrl}/api/products?search=lamp`, {
      headers: { traceparent: `00-${traceId}-${clientSpanId}-01` },
    });
    expect(response.status).toBe(200);

    const spans = await until(() => {
      const trace = receiver.trace(traceId);
      return find(trace, 'product', 'server') && find(trace, 'gateway', 'client') && trace;
    });
    const gatewayServer = find(spans, 'gateway', 'server');
    const gatewayClient = find(spans, 'gateway', 'client');
    const productServer = find(spans, 'product', 'server');
    const query = spans.find(
      (span) => span.service === 'product' && span.scope === '@opentelemetry/instrumentation-pg',
    );

    expect(gatewayServer?.parentSpanId).toBe(clientSpanId);
    expect(parentOf(spans, gatewayClient as ReceivedSpan)).toBe(gatewayServer);
    expect(parentOf(spans, productServer as ReceivedSpan)).toBe(gatewayClient);
    expect(parentOf(spans, query as ReceivedSpan)).toBe(productServer);
    expect(productServer?.name).toBe('GET /api/products');
    expect(productServer?.attributes['http.route']).toBe('/api/products');
    expect(productServer?.serviceVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('writes the trace and span ids into the log lines of the request', async () => {
    const traceId = randomBytes(16).toString('hex');
    await fetch(`${stack.gatewayUrl}/api/products/999999`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    const spans = await until(() => find(receiver.trace(traceId), 'product', 'server') && receiver.trace(traceId));
    const productServer = find(spans, 'product', 'server');
    const line = await until(() =>
      stack
        .process('product')
        ?.output()
        .split('\n')
        .find((entry) => entry.includes(traceId)),
    );
    expect(JSON.parse(line)).toMatchObject({ service: 'product', trace_id: traceId, span_id: productServer?.spanId });
  });
});
