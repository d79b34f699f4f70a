import type pg from 'pg';
import { ensureDatabase, quoteIdent, withAdvisoryLock } from './database.ts';

/** A committed schema change: statements applied in order, in one transaction. Never edit one that has shipped. */
export type Migration = { readonly up: readonly string[] };

/** A schema's migrations by name; applied in name order (names start with their timestamp). */
export type Migrations = Readonly<Record<string, Migration>>;

/**
 * The schema's record of applied migrations, created on first use. A schema migrated by MikroORM before
 * (`<schema>.mikro_orm_migrations`, same names) has its record carried over, so nothing is applied twice.
 */
async function readApplied(client: pg.Client, schema: string) {
  const table = `${quoteIdent(schema)}.schema_migrations`;
  const legacy = `${quoteIdent(schema)}.mikro_orm_migrations`;
  const { rows } = await client.query<{ record: string | null; legacy: string | null }>(
    'SELECT to_regclass($1) AS record, to_regclass($2) AS legacy',
    [table, legacy],
  );
  if (!rows[0]?.record) {
    await inTransaction(client, async () => {
      await client.query(
        `CREATE TABLE ${table} (name text PRIMARY KEY, executed_at timestamptz NOT NULL DEFAULT now())`,
      );
      if (rows[0]?.legacy) {
        await client.query(`INSERT INTO ${table} (name, executed_at) SELECT name, executed_at FROM ${legacy}`);
      }
    });
  }
  const applied = await client.query<{ name: string }>(`SELECT name FROM ${table}`);
  return { table, names: new Set(applied.rows.map((row) => row.name)) };
}

async function inTransaction(client: pg.Client, work: () => Promise<void>) {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Creates the database and schema if missing and applies the migrations not yet recorded, each in its own
 * transaction, under the advisory lock MikroORM's runner took too: replicas starting together (of this
 * version or the one before) migrate one at a time. Returns the names applied.
 */
export async function migrate(options: {
  databaseUrl: string;
  schema: string;
  migrations: Migrations;
}): Promise<string[]> {
  const { databaseUrl, schema, migrations } = options;
  await ensureDatabase(databaseUrl);
  return withAdvisoryLock(databaseUrl, `migrate:${schema}`, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    const applied = await readApplied(client, schema);
    const pending = Object.keys(migrations)
      .sort()
      .filter((name) => !applied.names.has(name));
    for (const name of pending) {
      await inTransaction(client, async () => {
        for (const statement of migrations[name]?.up ?? []) await client.query(statement);
        await client.query(`INSERT INTO ${applied.table} (name) VALUES ($1)`, [name]);
      });
    }
    return pending;
  });
}
