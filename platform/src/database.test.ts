import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDatabaseDown, isDatabaseUnavailable } from './database-outage.ts';
import { freePort } from './testing/index.ts';

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
      // A protocol violation is the statement's fault, though its class is 08.
      expect(isDatabaseUnavailable(Object.assign(new Error('bind message has 2 parameters'), { code: '08P01' }))).toBe(
        false,
      );
    } finally {
      await client.end();
    }
  });
});

describe('isDatabaseDown', () => {
  it('confirms an outage-looking error with a live probe', async () => {
    const unreachableUrl = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const refused = await failureOf(() => new pg.Client({ connectionString: unreachableUrl }).connect());
    const live = new pg.Client({ connectionString: DATABASE_URL });
    await live.connect();
    try {
      const probes: string[] = [];
      const probe = (name: string, work: () => Promise<unknown>) => () => {
        probes.push(name);
        return work();
      };
      // The database does not answer either: down.
      const unreachable = probe('unreachable', () => new pg.Client({ connectionString: unreachableUrl }).connect());
      expect(await isDatabaseDown(refused, unreachable)).toBe(true);
      // It answers: the error came from somewhere else, so not an outage.
      expect(
        await isDatabaseDown(
          refused,
          probe('live', () => live.query('SELECT 1')),
        ),
      ).toBe(false);
      // Not outage-shaped at all: no probe.
      expect(
        await isDatabaseDown(
          new Error('image too large'),
          probe('needless', () => live.query('SELECT 1')),
        ),
      ).toBe(false);
      expect(probes).toEqual(['unreachable', 'live']);
    } finally {
      await live.end();
    }
  });
});
