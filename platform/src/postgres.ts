import pg from 'pg';
import { isDatabaseUnavailable } from './database-outage.ts';
import type { Logger } from './logger.ts';
import { beginQuery, endQuery } from './query-spans.ts';

export type Pool = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * Bounds on every connection, so a database that stops answering (a restart, packets dropped) fails the
 * call in flight instead of hanging it: connecting, each query (client side, so it also holds when the
 * server is unreachable), and TCP keep-alive to notice a dead peer on an idle socket.
 */
export const CONNECTION_LIMITS = {
  connectionTimeoutMillis: 5_000,
  query_timeout: 30_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} as const;

type ErrorListener = (error: Error) => void;

const sendQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;

/**
 * The query hook: gives a statement its span (query-spans.ts) when the span that issued it is recorded,
 * and does nothing more otherwise. Streams (a cursor) pass through untraced.
 */
function query(this: pg.Client, ...args: unknown[]) {
  const begun = beginQuery();
  const [first] = args;
  if (!begun || typeof (first as { submit?: unknown })?.submit === 'function') return sendQuery.apply(this, args);
  const statement = typeof first === 'string' ? { text: first } : (first as { text: string; name?: string });
  const end = (error?: unknown) => endQuery(begun, statement, this, error);
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    // pg-pool's own query() passes a callback.
    args[last] = (error: Error | null, result: unknown) => {
      end(error ?? undefined);
      callback(error, result);
    };
    return sendQuery.apply(this, args);
  }
  const result = sendQuery.apply(this, args) as Promise<unknown> | undefined;
  result?.then(
    () => end(),
    (error: unknown) => end(error),
  );
  return result;
}

/** Every connection of the platform's pools and MikroORM's: pg's client with the query hook. */
export class Client extends pg.Client {}
Client.prototype.query = query as pg.Client['query'];

/**
 * A connection lost between two queries — the server restarted while the client sat in a pool, was held by
 * a transaction, a lock or a LISTEN — is emitted as an `'error'` event, and one without a listener kills
 * the process. The query in flight rejects on its own; this only logs, and the broken client is discarded.
 */
function guard(client: pg.Client | pg.PoolClient, onError: ErrorListener) {
  client.on('error', onError);
}

/**
 * The pool every service uses for PostgreSQL. Survives the server terminating any of its connections at
 * any moment: idle ones are dropped by the pool, checked-out ones fail their next query, and a client that
 * failed is destroyed on release rather than handed out again.
 */
export function createPool(options: {
  databaseUrl: string;
  max: number;
  /** Told of a lost connection (logged as a warning by default); nothing else need be done about it. */
  logger?: Logger;
  onError?: ErrorListener;
  applicationName?: string;
  /** Bounds connecting and each query (default: the CONNECTION_LIMITS), for a caller that cannot wait long. */
  timeoutMs?: number;
}): Pool {
  const onError: ErrorListener =
    options.onError ??
    ((error) => options.logger?.warn({ err: error }, 'database connection lost; it is discarded and replaced'));
  const pool = new pg.Pool({
    Client,
    connectionString: options.databaseUrl,
    max: options.max,
    idleTimeoutMillis: 30_000,
    ...CONNECTION_LIMITS,
    ...(options.timeoutMs ? { connectionTimeoutMillis: options.timeoutMs, query_timeout: options.timeoutMs } : {}),
    application_name: options.applicationName,
  });
  pool.on('error', onError);
  pool.on('connect', (client) => guard(client, onError));
  return pool;
}

/** One connection outside any pool (creating the database, holding an advisory lock), guarded the same way. */
export async function connectClient(databaseUrl: string, onError: ErrorListener = () => undefined) {
  const client = new Client({ connectionString: databaseUrl, ...CONNECTION_LIMITS });
  guard(client, onError);
  await client.connect();
  return client;
}

/**
 * Runs `work` in a transaction on one pooled connection. When the work or the ROLLBACK fails because the
 * connection broke (or hung past its timeout), the connection is destroyed, never returned to the pool.
 */
export async function transaction<T>(pool: Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A broken or hung connection would only fail (or hang) the ROLLBACK too; the server rolls back on close.
    if (isDatabaseUnavailable(error)) broken = error as Error;
    else await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken = rollbackFailed));
    throw error;
  } finally {
    client.release(broken);
  }
}
