import type pg from 'pg';
import { connectClient } from './postgres.ts';

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

export function quoteIdent(name: string) {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Creates the database when missing; safe when several replicas try at once. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const { adminUrl, name } = splitDatabaseUrl(databaseUrl);
  const client = await connectClient(adminUrl);
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
  const client = await connectClient(adminUrl);
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` holding a session advisory lock on its own connection (handed to `work`), so replicas starting
 * together apply migrations one at a time (the later ones find nothing left to do).
 */
export async function withAdvisoryLock<T>(
  databaseUrl: string,
  key: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectClient(databaseUrl);
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    return await work(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    await client.end();
  }
}
