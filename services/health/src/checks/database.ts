import { withTimeout } from '@ipp/platform';
import pg from 'pg';
import { type CheckResult, elapsedMs, errorMessage } from './timed.ts';

export type DatabaseCheck = CheckResult & { pool: { total: number; idle: number; waiting: number } };

/** A small pool of the aggregator's own: `SELECT 1` measures the round trip to PostgreSQL. */
export function createDatabaseCheck(options: { url: string; timeoutMs: number; onError: (error: Error) => void }) {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 2,
    connectionTimeoutMillis: options.timeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'ipp-health',
  });
  // An idle client losing its server (PostgreSQL restarting) must not crash the process.
  pool.on('error', options.onError);

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
