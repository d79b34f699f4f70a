import { randomBytes } from 'node:crypto';
import { EXCHANGES, QUEUES } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngWithAlpha } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { type Stack, startStack, uploadInNewTrace } from './stack.ts';
import { parentOf, type ReceivedSpan, startOtlpReceiver } from './tracing-receiver.ts';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let stack: Stack;
let images: Awaited<ReturnType<typeof startImageServer>>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  images = await startImageServer({ '/chair.png': { body: await pngWithAlpha(), type: 'image/png' } });
  stack = await startStack({
    label: 'tracing',
    services: ['product', 'upload', 'image-worker', 'gateway'],
    env: { ...receiver.env, LOG_LEVEL: 'info' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  await images?.close();
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
      return find(trace, 'product', 'server') && find(trace, 'gateway', 'server') && trace;
    });
    const gatewayServer = find(spans, 'gateway', 'server');
    const productServer = find(spans, 'product', 'server');
    const query = spans.find((span) => span.service === 'product' && span.scope === '@ipp/platform/postgres');

    expect(gatewayServer?.parentSpanId).toBe(clientSpanId);
    // One span per proxied request, as Envoy and nginx record: the upstream's span is its child.
    expect(find(spans, 'gateway', 'client')).toBeUndefined();
    expect(parentOf(spans, productServer as ReceivedSpan)).toBe(gatewayServer);
    expect(parentOf(spans, query as ReceivedSpan)).toBe(productServer);
    // Named and described as @opentelemetry/instrumentation-pg did before the platform's query hook.
    expect(query?.kind).toBe('client');
    const operation = /^pg\.query:([A-Z]+) \S+$/.exec(query?.name ?? '')?.[1];
    expect(operation).toBeDefined();
    expect(query?.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'server.address': '127.0.0.1' });
    expect(
      String(query?.attributes['db.query.text'])
        .toUpperCase()
        .startsWith(operation as string),
    ).toBe(true);
    expect(gatewayServer?.name).toBe('GET /api/products');
    expect(gatewayServer?.attributes).toMatchObject({
      'http.route': '/api/products',
      'http.response.status_code': 200,
      'gateway.upstream': 'product',
    });
    expect(productServer?.name).toBe('GET /api/products');
    expect(productServer?.attributes['http.route']).toBe('/api/products');
    expect(productServer?.serviceVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('writes the trace and span ids into the log lines of the request', async () => {
    const traceId = randomBytes(16).toString('hex');
    await fetch(`${stack.gatewayUrl}/api/products/999999`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    const spans = await until(
      () =>
        find(receiver.trace(traceId), 'product', 'server') &&
        find(receiver.trace(traceId), 'gateway', 'server') &&
        receiver.trace(traceId),
    );
    const lineOf = (service: 'product' | 'gateway') =>
      until(() =>
        stack
          .process(service)
          ?.output()
          .split('\n')
          .find((entry) => entry.includes(traceId)),
      );
    expect(JSON.parse(await lineOf('product'))).toMatchObject({
      service: 'product',
      trace_id: traceId,
      span_id: find(spans, 'product', 'server')?.spanId,
    });
    // The gateway's one line per request, written when the response closes, leads to its span too.
    expect(JSON.parse(await lineOf('gateway'))).toMatchObject({
      service: 'gateway',
      message: 'request',
      status: 404,
      trace_id: traceId,
      span_id: find(spans, 'gateway', 'server')?.spanId,
    });
  });

  it('follows an upload from the client through the gateway, upload, RabbitMQ and worker back to upload and product', async () => {
    const { traceId, response } = await uploadInNewTrace(stack.gatewayUrl, `TR-1,Traced Chair,${images.url}/chair.png`);
    expect(response.status).toBe(202);

    const spans = await until(
      () => {
        const trace = receiver.trace(traceId);
        const csvWritten = trace.some((each) => each.name === 'csv.generate');
        return find(trace, 'upload', 'consumer') && find(trace, 'product', 'consumer') && csvWritten && trace;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const span = (service: string, name: string) => {
      const found = spans.find((candidate) => candidate.service === service && candidate.name === name);
      if (!found) throw new Error(`no ${service} span "${name}" in ${spans.map((s) => `${s.service}:${s.name}`)}`);
      return found;
    };
    const isAncestor = (ancestor: ReceivedSpan, of: ReceivedSpan) => {
      for (let current = parentOf(spans, of); current; current = parentOf(spans, current)) {
        if (current === ancestor) return true;
      }
      return false;
    };

    const uploadServer = span('upload', 'POST /api/upload');
    const jobPublish = span('upload', `publish ${EXCHANGES.jobs}`);
    const jobConsume = span('image-worker', `${QUEUES.jobs} process`);
    const eventPublish = span('image-worker', `publish ${EXCHANGES.events}`);

    expect(new Set(spans.map((each) => each.service))).toEqual(
      new Set(['gateway', 'upload', 'image-worker', 'product']),
    );
    expect(parentOf(spans, uploadServer)).toBe(find(spans, 'gateway', 'server'));
    expect(find(spans, 'gateway', 'server')?.name).toBe('POST /api/upload');
    expect(isAncestor(uploadServer, jobPublish)).toBe(true);
    expect(parentOf(spans, jobConsume)).toBe(jobPublish);
    expect(parentOf(spans, span('image-worker', 'image.fetch'))).toBe(jobConsume);
    expect(parentOf(spans, span('image-worker', 'image.process'))).toBe(jobConsume);
    expect(isAncestor(jobConsume, eventPublish)).toBe(true);
    expect(parentOf(spans, span('upload', `${QUEUES.uploadEvents} process`))).toBe(eventPublish);
    expect(parentOf(spans, span('product', `${QUEUES.productEvents} process`))).toBe(eventPublish);
    expect(isAncestor(span('upload', `${QUEUES.uploadEvents} process`), span('upload', 'csv.generate'))).toBe(true);
    expect(spans.every((each) => each.statusCode !== 2)).toBe(true);
  });
});

describe('an operator turning one instrumentation off', () => {
  let quiet: Stack;

  beforeAll(async () => {
    quiet = await startStack({
      label: 'tracing_no_pg',
      services: ['product', 'gateway'],
      env: { ...receiver.env, OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' },
    });
  }, 120_000);

  afterAll(() => quiet?.stop());

  it('keeps the request spans and drops the SQL ones (OTEL_NODE_DISABLED_INSTRUMENTATIONS=pg)', async () => {
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(`${quiet.gatewayUrl}/api/products?page=1`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(response.status).toBe(200);

    const spans = await until(() => {
      const trace = receiver.trace(traceId);
      return find(trace, 'product', 'server') && find(trace, 'gateway', 'server') && trace;
    });
    // SQL spans end before the server's and the batch processor exports in order: any would be here.
    expect(parentOf(spans, find(spans, 'product', 'server') as ReceivedSpan)).toBe(find(spans, 'gateway', 'server'));
    expect(spans.filter((span) => span.scope === '@ipp/platform/postgres')).toEqual([]);
  });
});
