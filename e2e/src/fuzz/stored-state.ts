// What requests store, read straight from the stack's database and storage, so a test can show that a
// refused request stored nothing.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createPool } from '@ipp/platform';

// Tables that background work writes (the outbox relay, image and upload events, webhook deliveries) or that
// are no request's to write: their changes say nothing about the request just answered.
const BACKGROUND = new Set([
  'upload.outbox',
  'upload.webhook_deliveries',
  'product.product_images',
  'product.deleted_requests',
  'gateway.rate_limits',
]);
// Where requests put objects; the worker's outputs are background work. The fs driver stages every write in
// tmp/, the worker's too, so half-written files are checked once the work is done (`staged`).
const REQUEST_PREFIXES = ['uploads'];

export async function openStoredState(options: { databaseUrl: string; storageDir: string }) {
  const pool = createPool({ databaseUrl: options.databaseUrl, max: 1 });

  const list = (prefix: string) =>
    readdir(join(options.storageDir, prefix), { recursive: true }).then(
      (names) => names.map((name) => `${prefix}/${name}`),
      () => [] as string[],
    );
  const files = async () => (await Promise.all(REQUEST_PREFIXES.map(list))).flat().sort();

  /** Row counts of every table a request writes, the products' content, and the stored objects. */
  async function snapshot() {
    const tables = await pool.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema', 'public')
       ORDER BY 1`,
    );
    const counted = tables.rows
      .map((row) => row.name)
      .filter((name) => !BACKGROUND.has(name) && !name.includes('migrations'));
    const counts = counted.length
      ? (
          await pool.query<{ name: string; rows: number }>(
            counted.map((name) => `SELECT '${name}' AS name, count(*)::int AS rows FROM ${name}`).join(' UNION ALL '),
          )
        ).rows
      : [];
    const products = await pool.query(
      `SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY p.id), '')) AS digest FROM product.products p`,
    );
    return {
      rows: Object.fromEntries(counts.map((count) => [count.name, count.rows])),
      products: products.rows[0]?.digest as string,
      files: await files(),
    };
  }

  return { snapshot, staged: () => list('tmp'), close: () => pool.end() };
}

export type StoredState = Awaited<ReturnType<Awaited<ReturnType<typeof openStoredState>>['snapshot']>>;

/**
 * What was stored between two snapshots: tables that grew, objects that appeared, products that changed.
 * Rows and objects that went away are left out: deleting a finished request's rows and objects is background
 * work that goes on while other requests are answered.
 */
export function storedBetween(before: StoredState, after: StoredState): string[] {
  const grown = Object.entries(after.rows)
    .filter(([table, rows]) => rows > (before.rows[table] ?? 0))
    .map(([table, rows]) => `${table}: ${before.rows[table] ?? 0} → ${rows} rows`);
  const known = new Set(before.files);
  const added = after.files.filter((file) => !known.has(file)).map((file) => `new object ${file}`);
  return [...grown, ...added, ...(after.products === before.products ? [] : ['products changed'])];
}
