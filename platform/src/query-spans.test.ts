import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initOrm } from './orm.ts';
import { createPool, type Pool } from './postgres.ts';
import { enableQuerySpans } from './query-spans.ts';
import { startServerSpan } from './telemetry.ts';
import { createTestDatabase } from './testing/index.ts';

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
// Keeps the traces whose caller says so and no new ones, so each test chooses kept or not by its traceparent.
const sdk = new NodeSDK({
  spanProcessors: [processor],
  sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }),
  instrumentations: [],
  resourceDetectors: [],
});
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;

beforeAll(async () => {
  sdk.start();
  enableQuerySpans();
  database = await createTestDatabase('query_spans');
  pool = createPool({ databaseUrl: database.url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
  await sdk.shutdown();
});

const request = (kept: boolean) => {
  const flags = kept ? '01' : '00';
  const headers: Record<string, string> = {
    traceparent: `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-${flags}`,
  };
  const span = startServerSpan('GET', '/api/products', { get: (name) => headers[name], names: () => ['traceparent'] });
  if (!span) throw new Error('tracing is on: a server span was expected');
  return span;
};

async function finishedSpans() {
  await processor.forceFlush();
  const spans = exporter.getFinishedSpans();
  exporter.reset();
  return spans;
}

describe('SQL spans from the query hook', () => {
  it('gives a statement of a kept request one CLIENT span under it, timed from before it was sent', async () => {
    const server = request(true);
    const before = Date.now();
    await server.run(() => pool.query('SELECT pg_sleep(0.05), $1::int AS answer', [42]));
    server.end('/api/products', 200);
    const spans = await finishedSpans();
    const query = spans.find((span) => span.kind === SpanKind.CLIENT);
    const parent = spans.find((span) => span.kind === SpanKind.SERVER);
    expect(query?.name).toBe(`pg.query:SELECT ${new URL(database.url).pathname.slice(1)}`);
    expect(query?.instrumentationScope.name).toBe('@ipp/platform/postgres');
    expect(query?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(query?.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': new URL(database.url).pathname.slice(1),
      'db.query.text': 'SELECT pg_sleep(0.05), $1::int AS answer',
      'server.address': '127.0.0.1',
    });
    // Created when the statement ended, the span still starts when it was sent: it lasts the 50 ms sleep.
    const [startSeconds, startNanos] = query?.startTime ?? [0, 0];
    const [seconds, nanos] = query?.duration ?? [0, 0];
    expect(startSeconds * 1000 + startNanos / 1e6).toBeGreaterThanOrEqual(before - 1);
    expect(seconds * 1000 + nanos / 1e6).toBeGreaterThanOrEqual(49);
  });

  it('records a failed statement as failed, with its SQLSTATE', async () => {
    const server = request(true);
    await expect(server.run(() => pool.query('SELECT * FROM no_such_table'))).rejects.toThrow('no_such_table');
    server.end('/api/products', 500);
    const query = (await finishedSpans()).find((span) => span.kind === SpanKind.CLIENT);
    expect(query?.status.code).toBe(SpanStatusCode.ERROR);
    expect(query?.attributes['error.type']).toBe('42P01');
    expect(query?.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('does nothing for a request that is not kept, and builds nothing for its server span', async () => {
    const server = request(false);
    expect(server.recording).toBe(false);
    await server.run(async () => {
      expect(trace.getActiveSpan()?.isRecording()).toBe(false);
      await pool.query('SELECT 1');
    });
    server.end('/api/products', 200);
    expect(await finishedSpans()).toEqual([]);
  });

  it("gives MikroORM's statements their spans too (its pool uses the same client)", async () => {
    const orm = await initOrm({ databaseUrl: database.url, schema: 'query_spans', entities: [], migrations: {} });
    try {
      const server = request(true);
      await server.run(() => orm.em.getConnection().execute('SELECT 2 AS two'));
      server.end('/api/products', 200);
      const queries = (await finishedSpans()).filter((span) => span.kind === SpanKind.CLIENT);
      expect(queries.map((span) => span.attributes['db.query.text'])).toContain('SELECT 2 AS two');
    } finally {
      await orm.close();
    }
  });
});
