import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './database.ts';
import { freePort } from './testing.ts';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the work to fail');
}

describe('isDatabaseUnavailable', () => {
  it('recognises a refused connection, also wrapped by another error', async () => {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/postgres` });
    const refused = await failureOf(() => client.connect());
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(isDatabaseUnavailable(new Error('query failed', { cause: refused }))).toBe(true);
  });

  it('recognises a connection the server terminated (as on a restart)', async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    client.on('error', () => undefined);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await Promise.all([client.connect(), admin.connect()]);
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      const terminated = await failureOf(() => client.query('SELECT 1'));
      expect(isDatabaseUnavailable(terminated)).toBe(true);
    } finally {
      await admin.end();
      await client.end().catch(() => undefined);
    }
  });

  it('does not mistake a failed statement for an outage', async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      expect(isDatabaseUnavailable(await failureOf(() => client.query('SELEC 1')))).toBe(false);
      expect(isDatabaseUnavailable(await failureOf(() => client.query('SELECT 1/0')))).toBe(false);
      expect(isDatabaseUnavailable(new Error('image too large'))).toBe(false);
      expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    } finally {
      await client.end();
    }
  });
});
