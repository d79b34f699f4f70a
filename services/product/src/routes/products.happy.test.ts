import { ProductListSchema, ProductSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp } from '../testing/app.ts';

describe('products API: happy paths', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  beforeAll(async () => {
    fixture = await createTestProductApp('product_happy');
  });
  afterAll(() => fixture.close());

  const create = async (body: Record<string, unknown>) => {
    const response = await fixture.json('POST', '/api/products', body);
    expect(response.status).toBe(201);
    return ProductSchema.parse(await response.json());
  };
  const list = async (query: string) => {
    const response = await fixture.app.request(`/api/products${query}`);
    expect(response.status).toBe(200);
    return ProductListSchema.parse(await response.json());
  };

  it('creates a product: 201, Location, the contract shape', async () => {
    const response = await fixture.json('POST', '/api/products', {
      serial_number: ' HAPPY-1 ',
      name: 'Walnut desk',
      description: 'Solid walnut',
    });
    expect(response.status).toBe(201);
    const product = ProductSchema.parse(await response.json());
    expect(response.headers.get('location')).toBe(`/api/products/${product.id}`);
    expect(product).toMatchObject({
      serial_number: 'HAPPY-1',
      name: 'Walnut desk',
      description: 'Solid walnut',
      images: [],
    });
    expect(new Date(product.created_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('gets a product by id', async () => {
    const created = await create({ serial_number: 'HAPPY-2', name: 'Oak chair' });
    const response = await fixture.app.request(`/api/products/${created.id}`);
    expect(response.status).toBe(200);
    expect(ProductSchema.parse(await response.json())).toEqual({ ...created, description: null });
  });

  it('updates only the fields given and moves updated_at', async () => {
    const created = await create({ serial_number: 'HAPPY-3', name: 'Steel lamp', description: 'bright' });
    const response = await fixture.json('PUT', `/api/products/${created.id}`, { name: 'Steel floor lamp' });
    expect(response.status).toBe(200);
    const updated = ProductSchema.parse(await response.json());
    expect(updated).toMatchObject({ serial_number: 'HAPPY-3', name: 'Steel floor lamp', description: 'bright' });
    expect(updated.updated_at >= created.updated_at).toBe(true);
    const cleared = await fixture.json('PUT', `/api/products/${created.id}`, { description: null });
    expect(ProductSchema.parse(await cleared.json()).description).toBeNull();
  });

  it('deletes a product: 204, then 404', async () => {
    const created = await create({ serial_number: 'HAPPY-4', name: 'Glass vase' });
    const deleted = await fixture.app.request(`/api/products/${created.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await fixture.app.request(`/api/products/${created.id}`)).status).toBe(404);
  });

  describe('list and search', () => {
    beforeAll(async () => {
      for (let index = 1; index <= 25; index += 1) {
        await create({ serial_number: `LIST-${String(index).padStart(3, '0')}`, name: `Bamboo shelf ${index}` });
      }
      await create({ serial_number: 'ODD-1', name: '100% cotton_rug \\ deluxe' });
      await create({ serial_number: 'ODD-2', name: '100 percent cotton rug' });
      await create({ serial_number: 'ODD-3', name: 'Cotton-rug' });
    });

    it('pages through every product in id order with an exact total', async () => {
      const all = await list('?per_page=100');
      const pages = Math.ceil(all.total / 7);
      const seen: number[] = [];
      for (let page = 1; page <= pages; page += 1) {
        const result = await list(`?page=${page}&per_page=7`);
        expect(result).toMatchObject({ page, per_page: 7, total: all.total, pages });
        seen.push(...result.items.map((item) => item.id));
      }
      expect(seen).toEqual(all.items.map((item) => item.id));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    });

    it('defaults to page 1 of 10', async () => {
      const result = await list('');
      expect(result).toMatchObject({ page: 1, per_page: 10 });
      expect(result.items).toHaveLength(10);
    });

    it('returns an empty page past the end, keeping the total', async () => {
      const result = await list('?page=999&search=bamboo');
      expect(result).toMatchObject({ items: [], total: 25, pages: 3 });
    });

    it('matches a case-insensitive substring of the name or the serial number', async () => {
      expect((await list('?search=BAMBOO%20SHELF&per_page=100')).total).toBe(25);
      expect((await list('?search=list-02&per_page=100')).items.map((item) => item.serial_number)).toEqual([
        'LIST-020',
        'LIST-021',
        'LIST-022',
        'LIST-023',
        'LIST-024',
        'LIST-025',
      ]);
      expect((await list('?search=nothing-like-this')).total).toBe(0);
    });

    it('pages a search from the end as well as from the start', async () => {
      const page3 = await list('?search=bamboo&page=3&per_page=10');
      expect(page3.items.map((item) => item.serial_number)).toEqual([
        'LIST-021',
        'LIST-022',
        'LIST-023',
        'LIST-024',
        'LIST-025',
      ]);
    });

    it('takes %, _ and \\ in a search literally', async () => {
      const names = async (term: string) =>
        (await list(`?search=${encodeURIComponent(term)}`)).items.map((item) => item.name);
      expect(await names('100%')).toEqual(['100% cotton_rug \\ deluxe']);
      expect(await names('cotton_rug')).toEqual(['100% cotton_rug \\ deluxe']);
      expect(await names('\\')).toEqual(['100% cotton_rug \\ deluxe']);
      expect(await names('%')).toEqual(['100% cotton_rug \\ deluxe']);
    });

    it('does not match across the serial number and the name', async () => {
      expect((await list(`?search=${encodeURIComponent('odd-3\ncotton')}`)).total).toBe(0);
    });
  });
});
