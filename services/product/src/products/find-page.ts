import type { EntityManager } from '@mikro-orm/postgresql';
import {
  countAllProducts,
  countMatchingProducts,
  estimateMatchingProducts,
  matchingProductIds,
  pageProductIds,
} from './repository.ts';

/** Up to this many matches, one trigram scan gives both the exact total and the page. */
const SMALL_RESULT = 10_000;

/**
 * The ids on one page (id order) and the exact total. A search the planner does not expect to be
 * frequent first fetches up to SMALL_RESULT + 1 matching ids: when those are all of them, the total and
 * the page come from that one trigram scan (the costly part for phrases of common words). Otherwise it
 * counts, and pages with a query of its own, where walking the primary key finds frequent matches
 * quickly. (Counting at the same time on a second connection measured slower on a busy two-core machine.)
 */
export async function findPage(
  em: EntityManager,
  options: { search: string | undefined; offset: number; limit: number; smallResult?: number },
): Promise<{ ids: number[]; total: number }> {
  const { search, offset, limit, smallResult = SMALL_RESULT } = options;
  if (search && (await estimateMatchingProducts(em, search)) <= smallResult * 5) {
    const found = await matchingProductIds(em, search, smallResult + 1);
    if (found.length <= smallResult) {
      return { ids: found.sort((a, b) => a - b).slice(offset, offset + limit), total: found.length };
    }
  }
  const total = search ? await countMatchingProducts(em, search) : await countAllProducts(em);
  const ids = offset < total ? await pageProductIds(em, { search, offset, limit, total }) : [];
  return { ids, total };
}
