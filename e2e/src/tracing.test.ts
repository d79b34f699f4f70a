import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';
import { type ReceivedSpan, remoteParentOf, startOtlpReceiver } from './tracing-receiver.ts';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let stack: Stack;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({ label: 'tracing', services: ['product', 'gateway'], env: receiver.env });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('one request is one trace across processes', () => {
  it('continues the client traceparent through the gateway into the product service, spans named by route', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`${stack.gatewayUrl}/api/products?search=lamp`, {
      headers: { traceparent: `00-${traceId}-${clientSpanId}-01` },
    });
    expect(response.status).toBe(200);

    const spans = await until(() => {
      const trace = receiver.trace(traceId);
      return trace.some((span) => span.service === 'product' && span.kind === 'server') && trace;
    });
    console.log(spans.map((s) => [s.service, s.kind, s.name, s.spanId, s.parentSpanId, s.scope, s.serviceVersion]));
  });
});
