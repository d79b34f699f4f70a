// Live progress (GET /api/uploads/{id}/events) on the real processes: two upload-service replicas, the
// gateway, a worker, images held by the test so each change comes when it says, and a PostgreSQL restart.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, openEventStream, type ServiceProcess } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, type Network } from './chaos/network.ts';
import { startPostgres } from './chaos/postgres-server.ts';
import { webp } from './fixtures.ts';
import { until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';

const CSV_HEADER = 'Serial Number,Product Name,Input Image Urls';
const HEARTBEAT_MS = 500;
const MAX_STREAMS = 2;

/** An image source that answers each path only once the test releases it. */
async function startHeldImageServer(body: Buffer) {
  const waiting = new Map<string, ServerResponse>();
  const released = new Set<string>();
  const answer = (response: ServerResponse) =>
    response.writeHead(200, { 'content-type': 'image/webp', 'content-length': body.length }).end(body);
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    if (released.has(path)) answer(response);
    else waiting.set(path, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    release(path: string) {
      released.add(path);
      const response = waiting.get(path);
      waiting.delete(path);
      if (response) answer(response);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Images = Awaited<ReturnType<typeof startHeldImageServer>>;

async function upload(stack: Stack, images: Images, paths: string[]) {
  const form = new FormData();
  const rows = paths.map((path, index) => `EV-${crypto.randomUUID().slice(0, 8)}-${index},Lamp,${images.url}${path}`);
  form.set('file', new Blob([`${CSV_HEADER}\n${rows.join('\n')}\n`], { type: 'text/csv' }), 'products.csv');
  const response = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
  expect(response.status).toBe(202);
  return ((await response.json()) as { request_id: string }).request_id;
}

const eventNames = (stream: Awaited<ReturnType<typeof openEventStream>>) =>
  stream.messages.flatMap((message) => (message.kind === 'event' ? [message.event] : []));
const eventIds = (stream: Awaited<ReturnType<typeof openEventStream>>) =>
  stream.messages.flatMap((message) => (message.kind === 'event' ? [Number(message.id)] : []));

/** The items the stream reported done. */
const doneItems = (stream: Awaited<ReturnType<typeof openEventStream>>) =>
  stream.messages.flatMap((message) => {
    if (message.kind !== 'event' || message.event !== 'item') return [];
    const item = JSON.parse(message.data) as { input_url: string; status: string };
    return item.status === 'done' ? [item] : [];
  });

describe('live progress through the whole stack', () => {
  let images: Images;
  let stack: Stack;
  /** A second upload replica that cannot reach the broker: whatever it streams, another replica applied. */
  let replica: ServiceProcess;
  let replicaUrl: string;

  beforeAll(async () => {
    images = await startHeldImageServer(await webp(64, 48));
    stack = await startStack({
      label: 'e2e_events',
      services: ['product', 'upload', 'image-worker', 'gateway'],
      env: {
        SSE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
        SSE_MAX_STREAMS_PER_CLIENT: String(MAX_STREAMS),
        // Far beyond the test's own timeout: a shutdown that waited on an open stream would fail the test.
        SHUTDOWN_TIMEOUT_MS: '600000',
      },
    });
    const port = await freePort();
    replicaUrl = `http://127.0.0.1:${port}`;
    replica = await stack.startExtra(
      'upload',
      { UPLOAD_PORT: String(port), AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' },
      `${replicaUrl}/health/live`,
    );
  }, 120_000);
  afterAll(async () => {
    await replica?.stop();
    await stack?.stop();
    await images?.close();
  });

  it('streams, from one replica, every change the other applies from the worker’s results, then done', async () => {
    const requestId = await upload(stack, images, ['/a1.webp', '/a2.webp']);
    const stream = await openEventStream(`${replicaUrl}/api/uploads/${requestId}/events`);
    expect((await stream.nextEvent())?.event).toBe('progress');

    images.release('/a1.webp');
    const first = await until(async () => {
      const event = await stream.nextEvent();
      return event?.event === 'item' && event.json.status === 'done' ? event : undefined;
    });
    expect(first.json.output_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/outputs\//);
    images.release('/a2.webp');
    await stream.ended;
    const last = stream.messages.filter((message) => message.kind === 'event').at(-1);
    expect(last?.kind === 'event' && JSON.parse(last.data)).toMatchObject({
      status: 'completed',
      processed: 2,
      items: [{ status: 'done' }, { status: 'done' }],
    });
    expect(eventNames(stream).filter((name) => name === 'done')).toHaveLength(1);
    const ids = eventIds(stream);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(replica.child.exitCode).toBeNull();
  });

  it('passes events through the gateway as they happen, with heartbeats, and resumes after Last-Event-ID', async () => {
    const requestId = await upload(stack, images, ['/b1.webp', '/b2.webp', '/b3.webp']);
    const url = `${stack.gatewayUrl}/api/uploads/${requestId}/events`;
    const stream = await openEventStream(url);
    expect([stream.status, stream.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    expect((await stream.nextEvent())?.event).toBe('progress');
    await until(() => stream.messages.some((message) => message.kind === 'comment' && message.text === 'heartbeat'));

    images.release('/b1.webp');
    await until(() => doneItems(stream).length === 1);
    // The item's event came through while the request, and so the stream, is still open: nothing was buffered.
    expect(stream.isEnded()).toBe(false);
    const lastId = eventIds(stream).at(-1);
    await stream.close();

    images.release('/b2.webp');
    await until(async () => {
      const status = (await (await fetch(`${stack.gatewayUrl}/api/uploads/${requestId}`)).json()) as {
        processed: number;
      };
      return status.processed === 2;
    });
    const resumed = await openEventStream(url, { 'last-event-id': String(lastId) });
    const item = await resumed.nextEvent();
    expect([item?.event, item?.json.input_url, item?.json.status]).toEqual(['item', `${images.url}/b2.webp`, 'done']);
    expect(eventIds(resumed).every((id) => id > Number(lastId))).toBe(true);
    images.release('/b3.webp');
    await resumed.ended;
    expect(eventNames(resumed).at(-1)).toBe('done');
  });

  it('answers a finished request with its done event at once', async () => {
    const requestId = await upload(stack, images, ['/a1.webp']);
    await until(async () => {
      const status = (await (await fetch(`${stack.gatewayUrl}/api/uploads/${requestId}`)).json()) as { status: string };
      return status.status === 'completed';
    });
    const stream = await openEventStream(`${stack.gatewayUrl}/api/uploads/${requestId}/events`);
    await stream.ended;
    expect(eventNames(stream)).toEqual(['done']);
  });

  it(`answers 429 to a client's stream beyond ${MAX_STREAMS} open at once`, async () => {
    const requestId = await upload(stack, images, ['/c1.webp']);
    const url = `${stack.gatewayUrl}/api/uploads/${requestId}/events`;
    const held = [await openEventStream(url), await openEventStream(url)];
    const refused = await openEventStream(url);
    expect([refused.status, refused.headers.get('content-type')]).toEqual([429, 'application/problem+json']);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    for (const stream of held) await stream.close();
    images.release('/c1.webp');
  });

  it('ends open streams cleanly when an upload replica and then the gateway shut down, and both exit 0', async () => {
    const requestId = await upload(stack, images, ['/d1.webp']);
    const direct = await openEventStream(`${replicaUrl}/api/uploads/${requestId}/events`);
    expect((await direct.nextEvent())?.event).toBe('progress');
    expect(await replica.stop('SIGTERM')).toBe(0);
    await direct.ended;

    const proxied = await openEventStream(`${stack.gatewayUrl}/api/uploads/${requestId}/events`);
    expect((await proxied.nextEvent())?.event).toBe('progress');
    expect(await stack.process('gateway')?.stop('SIGTERM')).toBe(0);
    await proxied.ended;
    images.release('/d1.webp');
  }, 60_000);
});

describe('live progress across a PostgreSQL restart', () => {
  let network: Network;
  let postgres: Awaited<ReturnType<typeof startPostgres>>;
  let images: Images;
  let stack: Stack;

  beforeAll(async () => {
    network = await createNetwork();
    postgres = await startPostgres(network);
    images = await startHeldImageServer(await webp(64, 48));
    stack = await startStack({
      label: 'e2e_events_restart',
      services: ['product', 'upload', 'image-worker', 'gateway'],
      database: { url: postgres.url('image_processing'), drop: async () => undefined },
    });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await images?.close();
    await postgres?.remove();
    await network?.remove();
  }, 60_000);

  it('keeps the stream open through the restart and delivers what changed meanwhile, without a gap', async () => {
    const requestId = await upload(stack, images, ['/r1.webp', '/r2.webp']);
    const stream = await openEventStream(`${stack.gatewayUrl}/api/uploads/${requestId}/events`);
    expect((await stream.nextEvent())?.event).toBe('progress');
    images.release('/r1.webp');
    await until(() => doneItems(stream).length === 1, { timeoutMs: 60_000 });

    await postgres.stop('fast');
    // The second result arrives while the database is down: the upload service waits it out and applies it after.
    images.release('/r2.webp');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await postgres.start();

    await stream.ended;
    expect(eventNames(stream).at(-1)).toBe('done');
    // Each item's result came as an item event, the one applied after the restart included.
    expect(new Set(doneItems(stream).map((item) => item.input_url))).toEqual(
      new Set([`${images.url}/r1.webp`, `${images.url}/r2.webp`]),
    );
    const ids = eventIds(stream);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const name of ['upload', 'gateway'] as const) expect(stack.process(name)?.child.exitCode).toBeNull();
  }, 120_000);
});
