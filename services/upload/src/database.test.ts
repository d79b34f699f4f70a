import { createTestDatabase } from '@ipp/platform/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from './database.ts';
import { testLogger } from './testing/harness.ts';

describe('the upload service database pool', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  beforeAll(async () => {
    database = await createTestDatabase('upload_pool');
    pool = createPool({ databaseUrl: database.url, max: 2, logger: testLogger });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('survives its idle connections being killed (a database restart) and serves the next query', async () => {
    await pool.query('SELECT 1');
    expect(pool.idleCount).toBe(1);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await admin.end();
    expect(rowCount).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { rows } = await pool.query('SELECT 2 AS answer');
    expect(rows).toEqual([{ answer: 2 }]);
  });
});
