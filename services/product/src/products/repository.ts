import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdsQuery } from './present.ts';
import { containsPattern, SEARCH_TEXT_SEPARATOR } from './search-pattern.ts';

// Hand-written SQL for what the ORM cannot say well: trigram search, the maintained count, upserts.
// MikroORM inlines `?` parameters as escaped literals (arrays as lists, hence `ARRAY[?]`).

/** Where `search` matches: the narrow `product_search` table, through its trigram index. */
function matchCondition(search: string) {
  const pattern = containsPattern(search);
  // `search_text` joins serial number and name; a term spanning the separator needs the per-column check.
  if (search.includes(SEARCH_TEXT_SEPARATOR)) {
    return {
      from: 'product.product_search JOIN product.products USING (id)',
      sql: 'search_text LIKE lower(?) AND (lower(serial_number) LIKE lower(?) OR lower(name) LIKE lower(?))',
      params: [pattern, pattern, pattern],
    };
  }
  return { from: 'product.product_search', sql: 'search_text LIKE lower(?)', params: [pattern] };
}

/** Exact number of products (kept by triggers, so it costs one row read). */
export async function countAllProducts(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ total: string }[]>('SELECT total FROM product.product_count');
  return Number(rows[0]?.total ?? 0);
}

/** Exact number of products matching `search`. */
export async function countMatchingProducts(em: EntityManager, search: string): Promise<number> {
  const match = matchCondition(search);
  const rows = await em.execute<{ total: string }[]>(
    `SELECT count(*) AS total FROM ${match.from} WHERE ${match.sql}`,
    match.params,
  );
  return Number(rows[0]?.total ?? 0);
}

/** The planner's estimate of how many products match `search`: a plan, not a scan. */
export async function estimateMatchingProducts(em: EntityManager, search: string): Promise<number> {
  const match = matchCondition(search);
  const rows = await em.execute<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[]>(
    `EXPLAIN (FORMAT JSON) SELECT id FROM ${match.from} WHERE ${match.sql}`,
    match.params,
  );
  return rows[0]?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0;
}

/** Ids of up to `limit` products matching `search`, in no particular order. */
export async function matchingProductIds(em: EntityManager, search: string, limit: number): Promise<number[]> {
  const match = matchCondition(search);
  const rows = await em.execute<{ id: string }[]>(`SELECT id FROM ${match.from} WHERE ${match.sql} LIMIT ?`, [
    ...match.params,
    limit,
  ]);
  return rows.map((row) => Number(row.id));
}

/**
 * The query of one page's ids (not run: presentProducts embeds it). A page in the second half is read
 * backwards from the end, so the last page of a million rows costs what the first does.
 */
export function pageIdsQuery(options: {
  search: string | undefined;
  offset: number;
  limit: number;
  total: number;
}): IdsQuery {
  const { offset, limit, total } = options;
  const match = options.search ? matchCondition(options.search) : { from: 'product.products', sql: 'true', params: [] };
  const end = Math.min(offset + limit, total);
  const fromEnd = offset > total / 2;
  return {
    sql: `SELECT id FROM ${match.from} WHERE ${match.sql} ORDER BY id ${fromEnd ? 'DESC' : 'ASC'} LIMIT ? OFFSET ?`,
    params: fromEnd ? [...match.params, end - offset, total - end] : [...match.params, limit, offset],
  };
}

export type EnsuredRow = { id: number; serial_number: string; name: string };

/**
 * Finds or creates every product by serial number in one statement. `DO UPDATE` (a no-op write) rather
 * than `DO NOTHING` so rows created by a concurrent transaction are returned too; existing names are kept.
 */
export async function upsertBySerialNumber(
  em: EntityManager,
  products: { serial_number: string; name: string }[],
): Promise<EnsuredRow[]> {
  const rows = await em.execute<{ id: string; serial_number: string; name: string }[]>(
    `INSERT INTO product.products (serial_number, name)
     SELECT DISTINCT ON (serial_number) serial_number, name
     FROM unnest(ARRAY[?]::text[], ARRAY[?]::text[]) WITH ORDINALITY AS input (serial_number, name, position)
     ORDER BY serial_number, position
     ON CONFLICT (serial_number) DO UPDATE SET serial_number = excluded.serial_number
     RETURNING id, serial_number, name`,
    [products.map((product) => product.serial_number), products.map((product) => product.name)],
  );
  return rows.map((row) => ({ id: Number(row.id), serial_number: row.serial_number, name: row.name }));
}
