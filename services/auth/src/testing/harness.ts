import { createLogger, createMetrics, createPool, listen } from '@ipp/platform';
import { migrate } from '@ipp/platform/migrations';
import { createTestDatabase } from '@ipp/platform/testing';
import { createAuthApp } from '../app.ts';
import { createAuthMetrics } from '../auth-metrics.ts';
import { migrations } from '../migrations/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field and assert them.
type JsonBody = any;

export const testLogger = createLogger({ service: 'auth-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The auth app on a migrated database of its own, on a free loopback port. */
export async function createHarness(label: string) {
  const database = await createTestDatabase(label);
  await migrate({ databaseUrl: database.url, schema: 'auth', migrations });
  const pool = createPool({ databaseUrl: database.url, max: 5, logger: testLogger });
  const metrics = createMetrics('auth');
  const app = createAuthApp({ logger: testLogger, metrics, authMetrics: createAuthMetrics(metrics, pool), pool });
  const server = await listen({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as JsonBody };
  };
  return {
    baseUrl,
    pool,
    databaseUrl: database.url,
    metrics,
    call,
    close: async () => {
      await server.close(100);
      await pool.end();
      await database.drop();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;
