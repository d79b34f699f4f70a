import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdvisoryLock } from './database.ts';
import { isDatabaseUnavailable } from './database-outage.ts';
import { createPool, type Pool, transaction } from './postgres.ts';
import { createTestDatabase } from './testing/index.ts';

const terminateOthers = async (databaseUrl: string) => {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
};

const failureOf = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('expected the work to fail');
    },
    (error: unknown) => error,
  );

/** A TCP relay to PostgreSQL that can stop passing bytes without closing anything, as a dropped network does. */
async function startRelay(port: number) {
  let silent = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => silent || upstream.write(chunk));
    upstream.on('data', (chunk) => silent || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    silence: (value: boolean) => {
      silent = value;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the platform PostgreSQL pool', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  beforeAll(async () => {
    database = await createTestDatabase('postgres_pool');
    pool = createPool({ databaseUrl: database.url, max: 3 });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('survives its idle connections being killed (a database restart) and serves the next query', async () => {
    await pool.query('SELECT 1');
    expect(pool.idleCount).toBeGreaterThan(0);
    expect(await terminateOthers(database.url)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { rows } = await pool.query('SELECT 2 AS answer');
    expect(rows).toEqual([{ answer: 2 }]);
  });

  it('survives a checked-out connection being killed between two queries, and discards it on release', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await terminateOthers(database.url);
    // The 'error' event arrives while nothing is in flight on the client: without a listener, a crash.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isDatabaseUnavailable(await failureOf(client.query('SELECT 1')))).toBe(true);
    client.release();
    const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(again.rows[0]?.pid).not.toBe(rows[0]?.pid);
  });

  it('fails a transaction whose connection is killed in the middle, with an outage error, and carries on', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS notes (body text)');
    const failure = await failureOf(
      transaction(pool, async (client) => {
        await client.query("INSERT INTO notes VALUES ('lost')");
        await terminateOthers(database.url);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await client.query("INSERT INTO notes VALUES ('never')");
      }),
    );
    expect(isDatabaseUnavailable(failure)).toBe(true);
    await transaction(pool, (client) => client.query("INSERT INTO notes VALUES ('kept')"));
    const { rows } = await pool.query('SELECT body FROM notes ORDER BY body');
    expect(rows).toEqual([{ body: 'kept' }]);
  });

  it('survives the connection holding an advisory lock being killed while the work runs', async () => {
    const result = await withAdvisoryLock(database.url, 'test-lock', async () => {
      await terminateOthers(database.url);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 'done';
    });
    expect(result).toBe('done');
  });

  it('bounds a query on a connection that stops answering, and replaces that connection', async () => {
    const relay = await startRelay(Number(new URL(database.url).port || 5432));
    const url = new URL(database.url);
    url.port = String(relay.port);
    const hung = createPool({ databaseUrl: url.toString(), max: 1, timeoutMs: 300 });
    try {
      await hung.query('SELECT 1');
      relay.silence(true);
      const started = performance.now();
      const failure = await failureOf(transaction(hung, (client) => client.query('SELECT 1')));
      // One timeout, not a second one for the ROLLBACK queued behind the hung query.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(isDatabaseUnavailable(failure)).toBe(true);
      expect(hung.totalCount).toBe(0);
      relay.silence(false);
      const { rows } = await hung.query('SELECT 3 AS answer');
      expect(rows).toEqual([{ answer: 3 }]);
    } finally {
      await hung.end();
      await relay.close();
    }
  });
});
