import { randomBytes } from 'node:crypto';
import { createTestDatabase, freePort, type ServiceProcess, startService } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, send, startUpstream } from './testing/gateway.ts';

// Real gateway processes: replicas that must share one budget through the store.
const entry = new URL('./main.ts', import.meta.url);
const started: ServiceProcess[] = [];

async function startReplica(env: Record<string, string>, probe: 'live' | 'ready' = 'ready') {
  const [port, adminPort] = [await freePort(), await freePort()];
  const service = await startService({
    entry,
    env: { WEB_PORT: String(port), GATEWAY_ADMIN_PORT: String(adminPort), LOG_LEVEL: 'info', ...env },
    readyUrl: `http://127.0.0.1:${adminPort}/health/${probe}`,
  });
  started.push(service);
  return { port, adminPort, service };
}

describe('rate-limit stores across gateway processes', () => {
  const upstream = startUpstream(echo('product'));
  let base: Record<string, string>;

  beforeAll(async () => {
    base = { PRODUCT_SERVICE_URL: (await upstream).url, RATE_LIMIT_POINTS: '4', RATE_LIMIT_DURATION_S: '60' };
  });
  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop()));
    await (await upstream).close();
  });

  /** A fresh API key per test is a fresh client, so runs sharing one Redis never meet. */
  async function spendAcrossReplicas(env: Record<string, string>) {
    const key = randomBytes(12).toString('hex');
    const [first, second] = await Promise.all([
      startReplica({ ...base, ...env, API_KEYS: key }),
      startReplica({ ...base, ...env, API_KEYS: key }),
    ]);
    const statuses = [];
    for (let index = 0; index < 6; index += 1) {
      const replica = index % 2 === 0 ? first : second;
      statuses.push(
        (await send(replica.port, '/api/products', { headers: { authorization: `Bearer ${key}` } })).status,
      );
    }
    return statuses;
  }

  it('holds one budget across two replicas sharing Redis', async () => {
    expect(await spendAcrossReplicas({ RATE_LIMIT_STORE: 'redis' })).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('holds one budget across two replicas sharing PostgreSQL', async () => {
    const database = await createTestDatabase('gateway_rate_limit');
    try {
      expect(await spendAcrossReplicas({ RATE_LIMIT_STORE: 'postgres', DATABASE_URL: database.url })).toEqual([
        200, 200, 200, 200, 429, 429,
      ]);
    } finally {
      await Promise.all(started.splice(0).map((service) => service.stop()));
      await database.drop();
    }
  });

  it.each([
    ['redis', { RATE_LIMIT_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:DEAD' }],
    ['postgres', { RATE_LIMIT_STORE: 'postgres', DATABASE_URL: 'postgres://postgres@127.0.0.1:DEAD/none' }],
  ])('keeps serving on the in-memory fallback when %s is unreachable, and says so', async (_store, env) => {
    const deadPort = String(await freePort());
    const broken = Object.fromEntries(
      Object.entries(env).map(([name, value]) => [name, value.replace('DEAD', deadPort)]),
    );
    const replica = await startReplica({ ...base, ...broken, RATE_LIMIT_POINTS: '2' }, 'live');
    const statuses = [];
    for (let index = 0; index < 3; index += 1) statuses.push((await send(replica.port, '/api/products')).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await fetch(`http://127.0.0.1:${replica.adminPort}/health/ready`)).status).toBe(503);
    await expect.poll(() => replica.service.output()).toContain('counting in memory');
    const metrics = await (await fetch(`http://127.0.0.1:${replica.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/gateway_rate_limit_fallback_total\{[^}]*\} [1-9]/);
  });
});
