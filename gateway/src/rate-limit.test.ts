import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, send, startGateway, startUpstream } from './testing/gateway.ts';

describe('rate limiting (memory store)', () => {
  const upstream = startUpstream(echo('any'));
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    const url = (await upstream).url;
    gateway = await startGateway({
      upstreams: { product: url, upload: url, health: url },
      apiKeys: ['key-one', 'key-two'],
      trustProxyHops: 1,
      rateLimit: { points: 3, uploadPoints: 1, durationS: 60 },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await (await upstream).close();
  });

  // Each test is its own client through the trusted proxy's X-Forwarded-For.
  const as = (client: string, extra: Record<string, string> = {}) => ({
    headers: { 'x-forwarded-for': client, ...extra },
  });

  it('counts down the RateLimit headers and refuses with 429 problem+json and Retry-After', async () => {
    const replies = [];
    for (let index = 0; index < 4; index += 1) replies.push(await send(gateway.port, '/api/products', as('1.1.1.1')));
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 429]);
    expect(replies.map((reply) => reply.headers['ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
    expect(replies[0]?.headers).toMatchObject({ 'ratelimit-limit': '3' });
    const refused = replies[3];
    expect(Number(refused?.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused?.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ status: 429, title: 'Too many requests' });
    expect(await gateway.metrics.registry.getSingleMetricAsString('gateway_rate_limit_refusals_total')).toContain(
      'route="/api/products"',
    );
  });

  it('keeps a separate budget per client address', async () => {
    for (let index = 0; index < 3; index += 1) await send(gateway.port, '/api/products', as('2.2.2.2'));
    expect((await send(gateway.port, '/api/products', as('2.2.2.2'))).status).toBe(429);
    expect((await send(gateway.port, '/api/products', as('3.3.3.3'))).status).toBe(200);
  });

  it('trusts only the configured number of hops in X-Forwarded-For', async () => {
    // The client forges an earlier entry; only the one the trusted proxy appended counts.
    for (let index = 0; index < 3; index += 1) {
      await send(gateway.port, '/api/products', as(`9.9.9.${index}, 4.4.4.4`));
    }
    expect((await send(gateway.port, '/api/products', as('9.9.9.99, 4.4.4.4'))).status).toBe(429);
  });

  it('applies the tighter upload budget to POST /api/upload', async () => {
    const upload = as('5.5.5.5', { authorization: 'Bearer key-one' });
    const first = await send(gateway.port, '/api/upload', { ...upload, method: 'POST', body: 'csv' });
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '1', 'ratelimit-remaining': '0' });
    expect((await send(gateway.port, '/api/upload', { ...upload, method: 'POST', body: 'csv' })).status).toBe(429);
    // The general budget still has room.
    expect((await send(gateway.port, '/api/uploads', upload)).status).toBe(200);
  });

  it('keys the budget by API key when one is presented, whatever the address', async () => {
    const one = { authorization: 'Bearer key-two' };
    for (const client of ['6.6.6.1', '6.6.6.2', '6.6.6.3']) await send(gateway.port, '/api/products', as(client, one));
    expect((await send(gateway.port, '/api/products', as('6.6.6.4', one))).status).toBe(429);
    expect((await send(gateway.port, '/api/products', as('6.6.6.4'))).status).toBe(200);
  });

  it('never limits /health', async () => {
    for (let index = 0; index < 5; index += 1) {
      const reply = await send(gateway.port, '/health', as('7.7.7.7'));
      expect(reply.status).toBe(200);
      expect(reply.headers['ratelimit-limit']).toBeUndefined();
    }
  });
});
