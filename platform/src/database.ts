import pg from 'pg';

/** `postgres://…/name` → the same server's maintenance database and the name. */
function splitDatabaseUrl(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${redactUrl(databaseUrl)}`);
  url.pathname = '/postgres';
  return { adminUrl: url.toString(), name };
}

export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '[unparseable url]';
  }
}

function quoteIdent(name: string) {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Creates the database when missing; safe when several replicas try at once. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const { adminUrl, name } = splitDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`).catch((error: { code?: string }) => {
      // 42P04 duplicate_database, 23505 unique_violation: another replica created it first.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    });
  } finally {
    await client.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const { adminUrl, name } = splitDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` holding a session advisory lock on its own connection, so replicas starting together
 * apply migrations one at a time (the later ones find nothing left to do).
 */
export async function withAdvisoryLock<T>(databaseUrl: string, key: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    await client.end();
  }
}

// Socket errors, PostgreSQL's connection exceptions (08…, not 08P01, a protocol violation by the
// statement) and its shutdown and startup states (57P0x).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);
// What node-postgres says, without a code, when a connection dies or cannot be had.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed/i;

/**
 * Whether an error (or one it wraps, as MikroORM and AggregateError do) means the database cannot be
 * reached right now, rather than that a statement failed: the work should wait for it, not fail.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const code = String((error as { code?: unknown }).code ?? '');
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_MESSAGE.test(error.message)) return true;
  const nested = error instanceof AggregateError ? error.errors : [];
  return [error.cause, ...nested].some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/**
 * isDatabaseUnavailable, confirmed by `probe` (a `SELECT 1`) failing too: an error that only looks like
 * an outage (a timeout from elsewhere in its cause chain, say) while the database answers is not one.
 */
export async function isDatabaseDown(error: unknown, probe: () => Promise<unknown>): Promise<boolean> {
  if (!isDatabaseUnavailable(error)) return false;
  try {
    await probe();
    return false;
  } catch {
    return true;
  }
}
