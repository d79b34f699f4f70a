import type { EntityManager } from '@mikro-orm/postgresql';
import { countAllProducts, countMatchingProducts, matchingProductIds, pageProductIds } from './repository.ts';

/** Up to this many matches, the page is cut from the ids fetched alongside the count. */
const SMALL_RESULT = 10_000;

/**
 * The ids on one page (id order) and the exact total. A search counts its matches and, at the same time
 * on another connection, fetches up to SMALL_RESULT + 1 of their ids: when those are all of them, the
 * page comes from memory without a second trigram scan (the costly part for phrases of common words);
 * past that, the page is its own query, where walking the primary key finds frequent matches quickly.
 */
export async function findPage(
  em: EntityManager,
  options: { search: string | undefined; offset: number; limit: number; smallResult?: number },
): Promise<{ ids: number[]; total: number }> {
  const { search, offset, limit, smallResult = SMALL_RESULT } = options;
  if (!search) {
    const total = await countAllProducts(em);
    const ids = offset < total ? await pageProductIds(em, { search, offset, limit, total }) : [];
    return { ids, total };
  }
  const [total, found] = await Promise.all([
    countMatchingProducts(em, search),
    matchingProductIds(em, search, smallResult + 1),
  ]);
  if (found.length <= smallResult) {
    return { ids: found.sort((a, b) => a - b).slice(offset, offset + limit), total: found.length };
  }
  const ids = offset < total ? await pageProductIds(em, { search, offset, limit, total }) : [];
  return { ids, total };
}
