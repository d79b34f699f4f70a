import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp } from '../testing/app.ts';
import { findPage } from './find-page.ts';
import { presentProducts } from './present.ts';

describe('findPage', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  let ids: number[];
  beforeAll(async () => {
    fixture = await createTestProductApp('product_find_page');
    const products = Array.from({ length: 30 }, (_, index) => ({
      serial_number: `FP-${String(index).padStart(2, '0')}`,
      name: index % 3 === 0 ? `Copper lamp ${index}` : `Glass vase ${index}`,
    }));
    const response = await fixture.json('POST', '/internal/products/ensure', { products });
    ids = ((await response.json()) as { products: { id: number }[] }).products.map((product) => product.id);
  });
  afterAll(() => fixture.close());

  const copper = () => ids.filter((_, index) => index % 3 === 0);

  it.each([
    ['a small result, paged in memory', 1000],
    ['a large result, counted and paged in SQL', 3],
    ['a result the planner expects to be large', 0],
  ])('gives the same pages and totals for %s', async (_, smallResult) => {
    const page = async (search: string | undefined, offset: number, limit: number) => {
      const em = fixture.orm.em.fork();
      const found = await findPage(em, { search, offset, limit, smallResult });
      const products = found.ids ? await presentProducts(em, found.ids) : [];
      return { ids: products.map((product) => product.id), total: found.total };
    };
    expect(await page('copper', 0, 4)).toEqual({ ids: copper().slice(0, 4), total: 10 });
    expect(await page('copper', 8, 4)).toEqual({ ids: copper().slice(8), total: 10 });
    expect(await page('COPPER LAMP', 4, 3)).toEqual({ ids: copper().slice(4, 7), total: 10 });
    expect(await page('copper', 12, 4)).toEqual({ ids: [], total: 10 });
    expect(await page(undefined, 25, 10)).toEqual({ ids: ids.slice(25), total: 30 });
    expect(await page(undefined, 0, 5)).toEqual({ ids: ids.slice(0, 5), total: 30 });
    expect(await page(undefined, 20, 3)).toEqual({ ids: ids.slice(20, 23), total: 30 });
    expect(await page(undefined, 30, 5)).toEqual({ ids: [], total: 30 });
  });
});
