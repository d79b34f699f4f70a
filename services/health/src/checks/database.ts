import { createPool, withTimeout } from '@ipp/platform';
import { type CheckResult, elapsedMs, errorMessage } from './timed.ts';

export type DatabaseCheck = CheckResult & { pool: { total: number; idle: number; waiting: number } };

/** A small pool of the aggregator's own: `SELECT 1` measures the round trip to PostgreSQL. */
export function createDatabaseCheck(options: { url: string; timeoutMs: number; onError: (error: Error) => void }) {
  const pool = createPool({
    databaseUrl: options.url,
    max: 2,
    applicationName: 'ipp-health',
    timeoutMs: options.timeoutMs,
    onError: options.onError,
  });

  const poolState = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });

  return {
    async check(): Promise<DatabaseCheck> {
      const started = performance.now();
      try {
        await withTimeout(pool.query('SELECT 1'), options.timeoutMs);
        return { status: 'ok', latency_ms: elapsedMs(started), pool: poolState() };
      } catch (error) {
        return { status: 'down', latency_ms: elapsedMs(started), error: errorMessage(error), pool: poolState() };
      }
    },
    close: () => pool.end(),
  };
}
