import { request } from 'node:http';
import { createTestDatabase, createTestVhost, freePort, startService } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** POSTs a product whose body arrives in two parts, calling `between` after the first part. */
function slowCreate(port: number, between: () => Promise<void>) {
  const body = JSON.stringify({ serial_number: 'MAIN-SLOW', name: 'Sent slowly' });
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/products',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.write(body.slice(0, 10));
    between().then(() => outgoing.end(body.slice(10)), reject);
  });
}

describe('product service process', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  beforeAll(async () => {
    [database, vhost] = await Promise.all([createTestDatabase('product_main'), createTestVhost('product_main')]);
  });
  afterAll(async () => {
    await Promise.all([database?.drop(), vhost?.drop()]);
  });

  it('migrates, serves, and on SIGTERM finishes the in-flight request then exits 0', async () => {
    const port = await freePort();
    const service = await startService({
      entry: new URL('./main.ts', import.meta.url),
      env: { DATABASE_URL: database.url, AMQP_URL: vhost.url, PRODUCT_PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/health/ready`,
      timeoutMs: 45_000,
    });
    let exitCode: Promise<number | null> | undefined;
    const created = await slowCreate(port, async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      exitCode = service.stop('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ serial_number: 'MAIN-SLOW' });
    expect(await exitCode).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  }, 60_000);

  it('stops at once naming the variable when the configuration is invalid', async () => {
    await expect(
      startService({
        entry: new URL('./main.ts', import.meta.url),
        env: { DATABASE_URL: 'mysql://nowhere', PRODUCT_PORT: '1' },
        readyUrl: 'http://127.0.0.1:1/health/ready',
        timeoutMs: 20_000,
      }),
    ).rejects.toThrow(/DATABASE_URL/);
  }, 30_000);
});
