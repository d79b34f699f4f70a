import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp } from '../testing/app.ts';

describe('products API: concurrency', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  beforeAll(async () => {
    fixture = await createTestProductApp('product_concurrency');
  });
  afterAll(() => fixture.close());

  const listTotal = async () =>
    ((await (await fixture.app.request('/api/products')).json()) as { total: number }).total;
  const countRows = async () => {
    const rows = await fixture.orm.em.fork().execute<{ count: string }[]>('SELECT count(*) FROM product.products');
    return Number(rows[0]?.count);
  };

  it('lets exactly one of several racing creates of the same serial number win; the others get 409', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        fixture.json('POST', '/api/products', { serial_number: 'RACE-SAME', name: `Racer ${index}` }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const found = (await (await fixture.app.request('/api/products?search=RACE-SAME')).json()) as { total: number };
    expect(found.total).toBe(1);
  });

  it('keeps the unfiltered total exact under concurrent creates and deletes', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        fixture.json('POST', '/api/products', { serial_number: `COUNT-${index}`, name: 'Counted' }),
      ),
    );
    const ids = await Promise.all(created.map(async (response) => ((await response.json()) as { id: number }).id));
    await Promise.all([
      ...ids.slice(0, 10).map((id) => fixture.app.request(`/api/products/${id}`, { method: 'DELETE' })),
      ...Array.from({ length: 5 }, (_, index) =>
        fixture.json('POST', '/api/products', { serial_number: `COUNT-MORE-${index}`, name: 'Counted' }),
      ),
    ]);
    expect(await listTotal()).toBe(await countRows());
    expect(await listTotal()).toBe(1 + 20 - 10 + 5);
  });
});
