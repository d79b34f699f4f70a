import type { EntityManager } from '@mikro-orm/postgresql';
import { givenIds, type IdsQuery } from './present.ts';
import {
  countAllProducts,
  countMatchingProducts,
  estimateMatchingProducts,
  matchingProductIds,
  pageIdsQuery,
} from './repository.ts';

/** Up to this many matches, one trigram scan gives both the exact total and the page. */
const SMALL_RESULT = 10_000;

/**
 * The query of the ids on one page (none past the end) and the exact total. A search the planner does not expect to be
 * frequent first fetches up to SMALL_RESULT + 1 matching ids: when those are all of them, the total and
 * the page come from that one trigram scan (the costly part for phrases of common words). Otherwise it
 * counts, and pages with a query of its own, where walking the primary key finds frequent matches
 * quickly. (Counting at the same time on a second connection measured slower on a busy two-core machine.)
 */
export async function findPage(
  em: EntityManager,
  options: { search: string | undefined; offset: number; limit: number; smallResult?: number },
): Promise<{ ids: IdsQuery | undefined; total: number }> {
  const { search, offset, limit, smallResult = SMALL_RESULT } = options;
  if (search && (await estimateMatchingProducts(em, search)) <= smallResult * 5) {
    const found = await matchingProductIds(em, search, smallResult + 1);
    if (found.length <= smallResult) {
      const ids = found.sort((a, b) => a - b).slice(offset, offset + limit);
      return { ids: ids.length ? givenIds(ids) : undefined, total: found.length };
    }
  }
  const total = search ? await countMatchingProducts(em, search) : await countAllProducts(em);
  return { ids: offset < total ? pageIdsQuery({ search, offset, limit, total }) : undefined, total };
}
