import type { IncomingMessage } from 'node:http';
import { request } from 'node:http';
import { rawRequest, readAndCut, sendAndCut, trickle } from '@ipp/platform/testing/sockets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echo, send, startGateway, startUpstream } from './testing/gateway.ts';

describe('proxying when one side goes away', () => {
  // What the upstream saw of each request, by path: the body it read whole, or that it was cut off.
  const seen = new Map<string, 'complete' | 'aborted' | 'answer cut'>();
  const started = new Set<string>();
  const watch = (req: IncomingMessage) => {
    const path = req.url ?? '';
    started.add(path);
    req.on('error', () => undefined);
    req.on('close', () => {
      if (!seen.has(path)) seen.set(path, req.complete ? 'complete' : 'aborted');
    });
  };
  const upstream = startUpstream((req, res) => {
    watch(req);
    if (req.url?.startsWith('/api/products/stream')) {
      // A long answer, written slowly: the client may leave in its middle.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const timer = setInterval(() => res.write(Buffer.alloc(16_384, 1)), 5);
      res.on('close', () => {
        clearInterval(timer);
        if (!res.writableFinished) seen.set(req.url ?? '', 'answer cut');
      });
      return;
    }
    if (req.url?.startsWith('/api/products/break')) {
      // Headers and half the body, then the upstream's connection drops.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('x'.repeat(500), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (req.url?.startsWith('/api/upload?reset')) {
      // The upstream drops the connection while the body is still coming.
      req.once('data', () => req.socket.destroy());
      return;
    }
    echo('product')(req, res);
  });
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    const url = (await upstream).url;
    gateway = await startGateway({
      upstreams: { product: url, upload: url, health: url },
      uploadMaxBytes: 10_000_000,
      requestTimeoutMs: 800,
    });
  });
  afterEach(async () => {
    // The same gateway still answers.
    expect((await send(gateway.port, '/api/products')).status).toBe(200);
  });
  afterAll(async () => {
    await gateway.close();
    await (await upstream).close();
  });

  const lineFor = (path: string) => gateway.lines.find((line) => line.path === path);

  it('cancels the upstream request when the client leaves in the middle of the body', async () => {
    const url = `${gateway.url}/api/upload?mid-body`;
    const bytes = rawRequest({ method: 'POST', url, body: Buffer.alloc(2_000_000, 1) });
    await sendAndCut(url, bytes, 1_000_000, 100);
    await expect.poll(() => seen.get('/api/upload?mid-body')).toBe('aborted');
    await expect.poll(() => lineFor('/api/upload')).toMatchObject({ status: 499, failure: 'aborted' });
  });

  it('cancels the upstream request when the client leaves right after its headers', async () => {
    const url = `${gateway.url}/api/upload?no-body`;
    const bytes = rawRequest({ method: 'POST', url, body: Buffer.alloc(10_000, 1) });
    const cancelled = () => gateway.lines.filter((line) => line.failure === 'aborted').length;
    const before = cancelled();
    await sendAndCut(url, bytes, bytes.length - 10_000, 100);
    await expect.poll(cancelled).toBe(before + 1);
    // undici may not have sent the request yet; if it had, the upstream saw it cut off.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const path = '/api/upload?no-body';
    expect(started.has(path) ? seen.get(path) : 'never sent').toMatch(/^(aborted|never sent)$/);
  });

  it('leaves nothing open when the client leaves in the middle of its headers', async () => {
    const url = `${gateway.url}/api/upload?in-headers`;
    await sendAndCut(url, rawRequest({ method: 'POST', url, body: 'x' }), 20);
    expect(seen.has('/api/upload?in-headers')).toBe(false);
  });

  it('stops the upstream answer when the client leaves while it streams', async () => {
    const url = `${gateway.url}/api/products/stream`;
    const read = await readAndCut(url, rawRequest({ method: 'GET', url }), 100_000);
    expect(read).toBeGreaterThanOrEqual(100_000);
    await expect.poll(() => seen.get('/api/products/stream')).toBe('answer cut');
    await expect.poll(() => lineFor('/api/products/stream')).toMatchObject({ failure: 'aborted' });
  });

  it('cuts the client off when the upstream drops in the middle of its answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      request({ host: '127.0.0.1', port: gateway.port, path: '/api/products/break' }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('complete'));
        res.on('error', (error) => resolve(error.message));
      })
        .on('error', (error) => resolve(error.message))
        .end();
    });
    expect(outcome).toBe('aborted');
    await expect.poll(() => lineFor('/api/products/break')).toMatchObject({ status: 200, failure: 'reset' });
  });

  it('answers 502 when the upstream drops while the body is still coming', async () => {
    const reply = await send(gateway.port, '/api/upload?reset', { method: 'POST', body: Buffer.alloc(3_000_000, 2) });
    expect(reply.status).toBe(502);
    // The rest of the body is never read: the connection is not kept for another request.
    expect(reply.headers.connection).toBe('close');
  });

  it('answers 408 to a client that trickles its body beyond the request timeout, and cancels the upstream', async () => {
    const url = `${gateway.url}/api/upload?slow`;
    const bytes = rawRequest({ method: 'POST', url, body: Buffer.alloc(5000, 1) });
    const { answer, sent } = await trickle(url, bytes, { intervalMs: 20, chunkBytes: 20 });
    expect(sent).toBeLessThan(bytes.length);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    await expect.poll(() => seen.get('/api/upload?slow')).toBe('aborted');
  });
});
