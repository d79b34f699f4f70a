import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HealthSummarySchema, ProductListSchema } from '@ipp/contracts';
import { createTestDatabase, createTestVhost, freePort } from '@ipp/platform/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './servers.ts';

const startScript = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));

describe('npm start', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('runs every service behind the gateway with prefixed logs, and Ctrl-C stops them all cleanly', async () => {
    const database = await createTestDatabase('start');
    await database.drop(); // start creates it
    cleanups.push(database.drop);
    const vhost = await createTestVhost('start');
    cleanups.push(vhost.drop);
    const storage = await mkdtemp(join(tmpdir(), 'ipp-start-'));
    cleanups.push(() => rm(storage, { recursive: true, force: true }));
    const [web, admin, product, upload, health, worker] = await Promise.all(Array.from({ length: 6 }, freePort));
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      AMQP_URL: vhost.url,
      STORAGE_DIR: storage,
      WEB_PORT: String(web),
      GATEWAY_ADMIN_PORT: String(admin),
      GATEWAY_ADMIN_URL: `http://127.0.0.1:${admin}`,
      PRODUCT_PORT: String(product),
      UPLOAD_PORT: String(upload),
      HEALTH_PORT: String(health),
      WORKER_PORT: String(worker),
      PRODUCT_SERVICE_URL: `http://127.0.0.1:${product}`,
      UPLOAD_SERVICE_URL: `http://127.0.0.1:${upload}`,
      HEALTH_SERVICE_URL: `http://127.0.0.1:${health}`,
      IMAGE_WORKER_URL: `http://127.0.0.1:${worker}`,
    };
    const child = spawn(process.execPath, [startScript], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      // SIGTERM first: the services run in process groups of their own and would outlive a SIGKILLed parent.
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    });

    await until(() => output.includes(`gateway on http://localhost:${web}`), { timeoutMs: 60_000 });
    const gateway = `http://127.0.0.1:${web}`;
    const list = ProductListSchema.parse(await (await fetch(`${gateway}/api/products`)).json());
    expect(list.total).toBe(0);
    const summary = await until(
      async () => {
        const response = await fetch(`${gateway}/health`);
        const body = HealthSummarySchema.parse(await response.json());
        return body.status !== 'down' ? body : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(['ok', 'degraded']).toContain(summary.status);
    // The gateway batches its request log (flushed within a second), so its lines may trail.
    const prefixed = (name: string) => new RegExp(`${name}\\s*\\|`).test(output);
    await until(() => ['product', 'upload', 'image-worker', 'health', 'gateway'].every(prefixed), {
      timeoutMs: 10_000,
    });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`${gateway}/api/products`)).rejects.toThrow();
  }, 120_000);
});
