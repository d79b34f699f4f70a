import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServer, listen } from './server.ts';
import { until } from './testing/index.ts';
import { rawRequest, trickle } from './testing/sockets.ts';

describe('listen (slow clients)', () => {
  let server: HttpServer;
  let url: string;
  const outcomes: string[] = [];
  beforeAll(async () => {
    server = await listen({
      port: 0,
      hostname: '127.0.0.1',
      requestTimeoutMs: 600,
      fetch: async (request) => {
        try {
          const body = await request.text();
          outcomes.push(`read ${body.length}`);
          return new Response('ok');
        } catch {
          outcomes.push('body failed');
          throw new Error('unreachable client');
        }
      },
    });
    url = `http://127.0.0.1:${server.port}/upload`;
  });
  afterAll(() => server.close(100));

  it('answers 408 and closes a connection whose body trickles in beyond the request timeout', async () => {
    const bytes = rawRequest({ method: 'POST', url, body: 'x'.repeat(1000) });
    const { answer, sent } = await trickle(url, bytes, { intervalMs: 50, chunkBytes: 10 });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(sent).toBeLessThan(bytes.length);
    // The handler reading the body learns it will never come.
    await until(() => outcomes.includes('body failed'));
  });

  it('closes a connection whose headers trickle in beyond the bound', async () => {
    const bytes = rawRequest({ method: 'GET', url, headers: { 'x-padding': 'y'.repeat(500) } });
    const { sent } = await trickle(url, bytes, { intervalMs: 20, chunkBytes: 2 });
    expect(sent).toBeLessThan(bytes.length);
  });

  it('still serves a client that sends in time', async () => {
    const response = await fetch(url, { method: 'POST', body: 'hello' });
    expect(await response.text()).toBe('ok');
    expect(outcomes.at(-1)).toBe('read 5');
  });
});
