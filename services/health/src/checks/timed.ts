import type { HealthStatus } from '@ipp/contracts';

export type CheckResult = { status: HealthStatus; latency_ms: number; error?: string };

/** The message, with the cause's code where fetch hides it behind "fetch failed" (ECONNREFUSED, …). */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${error.message}: ${detail}` : error.message || error.name;
}

export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
