import { EnsuredProductsSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp } from '../testing/app.ts';

describe('POST /internal/products/ensure', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  beforeAll(async () => {
    fixture = await createTestProductApp('product_ensure');
  });
  afterAll(() => fixture.close());

  const ensure = async (products: { serial_number: string; name: string }[]) => {
    const response = await fixture.json('POST', '/internal/products/ensure', { products });
    expect(response.status).toBe(200);
    return EnsuredProductsSchema.parse(await response.json()).products;
  };

  it('creates the missing products, keeps existing ones as they are, in input order, once per serial', async () => {
    const existing = await fixture.json('POST', '/api/products', { serial_number: 'ENS-B', name: 'Original name' });
    const { id: existingId } = (await existing.json()) as { id: number };
    const products = await ensure([
      { serial_number: 'ENS-A', name: 'Alpha' },
      { serial_number: 'ENS-B', name: 'New name ignored' },
      { serial_number: 'ENS-A', name: 'Alpha again' },
      { serial_number: 'ENS-C', name: 'Gamma' },
    ]);
    expect(products.map(({ serial_number, name }) => ({ serial_number, name }))).toEqual([
      { serial_number: 'ENS-A', name: 'Alpha' },
      { serial_number: 'ENS-B', name: 'Original name' },
      { serial_number: 'ENS-C', name: 'Gamma' },
    ]);
    expect(products[1]?.id).toBe(existingId);
    const again = await ensure([{ serial_number: 'ENS-C', name: 'x' }]);
    expect(again).toEqual([products[2]]);
    const list = (await (await fixture.app.request('/api/products?search=ens-')).json()) as { total: number };
    expect(list.total).toBe(3);
  });

  it('returns the same ids to concurrent callers and creates each product once', async () => {
    const serials = Array.from({ length: 40 }, (_, index) => `RACE-${index}`);
    const calls = Array.from({ length: 6 }, (_, call) =>
      ensure(serials.map((serial, index) => ({ serial_number: serial, name: `call ${call} item ${index}` })).reverse()),
    );
    const results = await Promise.all(calls);
    const idsOf = (products: { serial_number: string; id: number }[]) =>
      Object.fromEntries(products.map((product) => [product.serial_number, product.id]));
    for (const result of results) {
      expect(result).toHaveLength(40);
      expect(idsOf(result)).toEqual(idsOf(results[0] ?? []));
    }
    const list = (await (await fixture.app.request('/api/products?search=race-&per_page=100')).json()) as {
      total: number;
      items: unknown[];
    };
    expect(list.total).toBe(40);
    expect(list.items).toHaveLength(40);
  });

  it('keeps quotes, question marks and backslashes as they are', async () => {
    const awkward = [
      { serial_number: "ENS-'?", name: "O'Brien's \\ desk? $1 --" },
      { serial_number: 'ENS-"\\', name: '"quoted" ? name' },
    ];
    const products = await ensure(awkward);
    expect(products.map(({ serial_number, name }) => ({ serial_number, name }))).toEqual(awkward);
    const found = await fixture.app.request(`/api/products?search=${encodeURIComponent("o'brien's \\ desk?")}`);
    expect(((await found.json()) as { total: number }).total).toBe(1);
  });

  it('refuses an empty list, unknown fields and invalid entries with their paths', async () => {
    const empty = await fixture.json('POST', '/internal/products/ensure', { products: [] });
    expect(empty.status).toBe(400);
    const invalid = await fixture.json('POST', '/internal/products/ensure', {
      products: [
        { serial_number: 'OK', name: 'ok' },
        { serial_number: '', name: 'x', extra: 1 },
      ],
    });
    expect(invalid.status).toBe(400);
    const problem = (await invalid.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path)).toEqual(['products.1.serial_number', 'products.1.extra']);
  });
});
