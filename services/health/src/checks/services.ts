import type { HealthStatus } from '@ipp/contracts';
import { resolveReplicas } from './replicas.ts';
import { type StorageCheck, storageReportOf } from './storage.ts';
import { type CheckResult, elapsedMs, errorMessage } from './timed.ts';

export type ReplicaCheck = CheckResult & { url: string; version?: string };
export type ServiceCheck = CheckResult & { version?: string; replicas: ReplicaCheck[] };

/**
 * One replica's `/health/ready`: ok on 200, down otherwise, with its version and round-trip time. Its own
 * storage check, when it has one, goes into `storageReports`.
 */
async function checkReplica(url: string, timeoutMs: number, storageReports?: StorageCheck[]): Promise<ReplicaCheck> {
  const started = performance.now();
  try {
    const response = await fetch(`${url.replace(/\/$/, '')}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as { version?: unknown; checks?: Record<string, unknown> };
    const storage = storageReportOf(body);
    if (storage) storageReports?.push(storage);
    const version = typeof body.version === 'string' ? body.version : undefined;
    const latency_ms = elapsedMs(started);
    if (response.ok) return { url, status: 'ok', latency_ms, version };
    return { url, status: 'down', latency_ms, version, error: `ready answered ${response.status}` };
  } catch (error) {
    return { url, status: 'down', latency_ms: elapsedMs(started), error: errorMessage(error) };
  }
}

/** Every replica of a service, concurrently: ok when all are ready, degraded when some are, down when none. */
export async function checkService(
  urls: string[],
  timeoutMs: number,
  storageReports?: StorageCheck[],
): Promise<ServiceCheck> {
  const started = performance.now();
  const replicas = await Promise.all(
    (await resolveReplicas(urls)).map((url) => checkReplica(url, timeoutMs, storageReports)),
  );
  const ready = replicas.filter((replica) => replica.status === 'ok');
  const status: HealthStatus = ready.length === replicas.length ? 'ok' : ready.length > 0 ? 'degraded' : 'down';
  const versions = [...new Set(replicas.flatMap((replica) => (replica.version ? [replica.version] : [])))];
  const failing = replicas.filter((replica) => replica.status !== 'ok');
  return {
    status,
    latency_ms: elapsedMs(started),
    version: versions.join(', ') || undefined,
    replicas,
    ...(failing.length > 0 && { error: failing.map((replica) => `${replica.url}: ${replica.error}`).join('; ') }),
  };
}
