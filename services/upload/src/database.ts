import type { Logger } from '@ipp/platform';
import pg from 'pg';

export type Pool = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

/** The service's connection pool for its own schema (the ORM owns migrations; queries here are plain SQL). */
export function createPool(options: { databaseUrl: string; max: number; logger: Logger }) {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.max });
  // An idle connection lost to a database restart must not crash the process; the pool reconnects.
  pool.on('error', (error) => options.logger.warn({ err: error }, 'idle database connection lost'));
  return pool;
}

export async function transaction<T>(pool: Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
