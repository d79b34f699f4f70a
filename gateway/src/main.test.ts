import { freePort, type ServiceProcess, startService } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, send, startUpstream } from './testing/gateway.ts';

describe('the gateway process', () => {
  const health = startUpstream(echo('health'));
  let gateway: ServiceProcess;
  let port: number;
  let adminPort: number;

  beforeAll(async () => {
    [port, adminPort] = [await freePort(), await freePort()];
    gateway = await startService({
      entry: new URL('./main.ts', import.meta.url),
      env: {
        WEB_PORT: String(port),
        GATEWAY_ADMIN_PORT: String(adminPort),
        LOG_LEVEL: 'info',
        HEALTH_SERVICE_URL: (await health).url,
        PRODUCT_SERVICE_URL: `http://127.0.0.1:${await freePort()}`,
      },
      readyUrl: `http://127.0.0.1:${adminPort}/health/ready`,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await (await health).close();
  });

  it('serves its own probes and metrics on the admin port only', async () => {
    const live = await fetch(`http://127.0.0.1:${adminPort}/health/live`);
    expect(await live.json()).toMatchObject({ status: 'ok', service: 'gateway' });
    const ready = await fetch(`http://127.0.0.1:${adminPort}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { rate_limit_store: { status: 'ok' } } });
    // On the public port /health* belongs to the aggregator and /metrics does not exist.
    expect(JSON.parse((await send(port, '/health/live')).body)).toMatchObject({ upstream: 'health' });
    expect((await send(port, '/metrics')).status).toBe(404);
  });

  it('counts requests by route and status, and upstream errors, in /metrics', async () => {
    expect((await send(port, '/api/products')).status).toBe(502);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/api\/products",status="502"[^}]*\} 1/);
    expect(metrics).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/products"/);
    expect(metrics).toMatch(/gateway_upstream_errors_total\{[^}]*upstream="product",kind="refused"[^}]*\} 1/);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    expect(await gateway.stop('SIGTERM')).toBe(0);
    expect(gateway.output()).toContain('"message":"stopped"');
  });
});
