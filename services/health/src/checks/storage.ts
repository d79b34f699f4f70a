import { type HealthStatus, StorageDriverSchema } from '@ipp/contracts';
import type { CheckResult } from './timed.ts';

export type StorageCheck = CheckResult & { driver?: 'fs' | 's3' };

/** A replica's own storage check, read from its `/health/ready` body; undefined when it has none. */
export function storageReportOf(body: { checks?: Record<string, unknown> }): StorageCheck | undefined {
  const check = body.checks?.storage as Partial<StorageCheck> | undefined;
  if (!check || typeof check.status !== 'string' || typeof check.latency_ms !== 'number') return undefined;
  const driver = StorageDriverSchema.safeParse(check.driver);
  return {
    status: check.status,
    latency_ms: check.latency_ms,
    ...(driver.success && { driver: driver.data }),
    ...(typeof check.error === 'string' && { error: check.error }),
  };
}

/**
 * Storage as the services that use it (upload, the workers) see it, from their readiness checks: the
 * aggregator holds no storage credentials of its own. ok when every report is, down when none is; the
 * slowest latency; the driver they use.
 */
export function combineStorageReports(reports: StorageCheck[]): StorageCheck {
  if (reports.length === 0) {
    return { status: 'down', latency_ms: 0, error: 'no upload or image-worker replica reported its storage check' };
  }
  const ok = reports.filter((report) => report.status === 'ok').length;
  const status: HealthStatus = ok === reports.length ? 'ok' : ok > 0 ? 'degraded' : 'down';
  const failing = reports.find((report) => report.status !== 'ok');
  return {
    status,
    latency_ms: Math.max(...reports.map((report) => report.latency_ms)),
    ...(reports[0]?.driver && { driver: reports[0].driver }),
    ...(failing && { error: failing.error ?? 'not ready' }),
  };
}
