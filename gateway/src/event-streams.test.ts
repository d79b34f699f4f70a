import type { ServerResponse } from 'node:http';
import { type EventStreamClient, openEventStream, until } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startUpstream } from './testing/gateway.ts';

const UPSTREAM_TIMEOUT_MS = 300;
const MAX_STREAMS = 2;

describe('event streams through the gateway', () => {
  /** The upload service's side of each open stream, for the test to write to or end. */
  const upstreamStreams: ServerResponse[] = [];
  let upstreamClosed = 0;
  const upload = startUpstream((req, res) => {
    if (!req.url?.endsWith('/events')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`event: progress\ndata: {"n":0}\nid: 0\n\n`);
    res.on('close', () => {
      upstreamClosed += 1;
    });
    upstreamStreams.push(res);
  });
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const clients: EventStreamClient[] = [];
  const open = async (client: string, path = `/api/uploads/${crypto.randomUUID()}/events`) => {
    const stream = await openEventStream(`${gateway.url}${path}`, { 'x-forwarded-for': client });
    clients.push(stream);
    return stream;
  };

  beforeAll(async () => {
    gateway = await startGateway({
      upstreams: { upload: (await upload).url },
      upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
      maxStreamsPerClient: MAX_STREAMS,
      trustProxyHops: 1,
      // Shorter than the silence the timeout test holds: the server's bound on receiving a request is no bound on a stream.
      requestTimeoutMs: 1_000,
    });
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await gateway.close();
    await (await upload).close();
  });

  it('passes each event on as it comes, while the stream is still open, and ends with the upstream', async () => {
    const stream = await open('10.1.0.1');
    expect([stream.status, stream.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    expect(stream.headers.get('x-request-id')).toBeTruthy();
    expect((await stream.nextEvent())?.json).toEqual({ n: 0 });
    const upstream = upstreamStreams.at(-1);
    upstream?.write(`event: item\ndata: {"n":1}\nid: 1\n\n`);
    expect((await stream.nextEvent())?.json).toEqual({ n: 1 });
    expect(stream.isEnded()).toBe(false);
    upstream?.end(`event: done\ndata: {"n":2}\nid: 2\n\n`);
    expect((await stream.nextEvent())?.event).toBe('done');
    await stream.ended;
  });

  it('keeps a stream open past the upstream timeout: silence between events is not a failure', async () => {
    const stream = await open('10.1.0.2');
    expect((await stream.nextEvent())?.id).toBe('0');
    const upstream = upstreamStreams.at(-1);
    // Well past the timeout: undici checks its body timeout on a timer of about 1 s resolution.
    await new Promise((resolve) => setTimeout(resolve, UPSTREAM_TIMEOUT_MS + 2_000));
    upstream?.write(': heartbeat\n\n');
    upstream?.write(`event: item\ndata: {"n":1}\nid: 1\n\n`);
    expect(await stream.next()).toMatchObject({ kind: 'comment', text: 'heartbeat' });
    expect((await stream.nextEvent())?.id).toBe('1');
    expect(stream.isEnded()).toBe(false);
    upstream?.end();
    await stream.ended;
  });

  it(`answers 429 to a client's stream beyond ${MAX_STREAMS} open at once, and takes one again once one closed`, async () => {
    const held = [await open('10.1.0.3'), await open('10.1.0.3')];
    const refused = await open('10.1.0.3');
    expect([refused.status, refused.headers.get('content-type'), refused.headers.get('retry-after')]).toEqual([
      429,
      'application/problem+json',
      '5',
    ]);
    expect(refused.headers.get('ratelimit-limit')).toBeTruthy();
    // Another client has its own limit; other routes are not counted.
    expect((await open('10.1.0.4')).status).toBe(200);
    expect((await fetch(`${gateway.url}/api/uploads`, { headers: { 'x-forwarded-for': '10.1.0.3' } })).status).toBe(
      200,
    );

    await held[0]?.close();
    await until(async () => {
      const again = await open('10.1.0.3');
      await again.close();
      return again.status === 200;
    });
  });

  it('cancels the upstream request of a stream whose client left', async () => {
    const stream = await open('10.1.0.7');
    expect((await stream.nextEvent())?.id).toBe('0');
    const closedBefore = upstreamClosed;
    await stream.close();
    await until(() => upstreamClosed > closedBefore);
  });

  it('ends every open stream cleanly at shutdown, cancelling its upstream request, and refuses new ones', async () => {
    const stream = await open('10.1.0.5');
    expect((await stream.nextEvent())?.id).toBe('0');
    const closedBefore = upstreamClosed;
    gateway.closeStreams();
    await stream.ended;
    await until(() => upstreamClosed > closedBefore);
    const refused = await open('10.1.0.6');
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '1']);
  });
});
