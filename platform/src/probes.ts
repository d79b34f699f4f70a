import type { HealthStatus, Probe } from '@ipp/contracts';
import type { Hono } from 'hono';
import type { Metrics } from './metrics.ts';

/** A dependency check; `details` are facts reported beside its result (the storage driver). */
export type ReadinessCheck = (() => Promise<unknown>) & { details?: Record<string, string> };

/** Rejects when `work` has not settled within `timeoutMs`. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function timed(check: ReadinessCheck, timeoutMs: number) {
  const started = performance.now();
  try {
    await withTimeout(check(), timeoutMs);
    return { status: 'ok' as HealthStatus, latency_ms: Math.round(performance.now() - started), ...check.details };
  } catch (error) {
    return {
      status: 'down' as HealthStatus,
      latency_ms: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
      ...check.details,
    };
  }
}

/** Runs every readiness check concurrently, each bounded by a timeout. */
export async function readiness(checks: Record<string, ReadinessCheck>, timeoutMs = 2000) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await timed(check, timeoutMs)] as const),
  );
  const results = Object.fromEntries(entries);
  const status: HealthStatus = entries.every(([, result]) => result.status === 'ok') ? 'ok' : 'down';
  return { status, checks: results };
}

/**
 * `/health/live` (the process answers; touches nothing), `/health/ready` (its own dependencies) and
 * `/metrics` on an app.
 */
export function mountProbes(
  app: Hono<any>,
  options: { service: string; version: string; checks: Record<string, ReadinessCheck>; metrics: Metrics },
) {
  const { service, version } = options;
  app.get('/health/live', (c) => c.json({ status: 'ok', service, version } satisfies Probe));
  app.get('/health/ready', async (c) => {
    const result = await readiness(options.checks);
    return c.json({ service, version, ...result } satisfies Probe, result.status === 'ok' ? 200 : 503);
  });
  mountMetrics(app, options.metrics);
}

/** Prometheus `/metrics` alone, for an app whose `/health/*` routes are its own (the health aggregator). */
export function mountMetrics(app: Hono<any>, metrics: Metrics) {
  app.get('/metrics', async (c) => {
    c.header('content-type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
}
