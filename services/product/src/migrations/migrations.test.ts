import { initOrm } from '@ipp/platform/orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities } from '../entities.ts';
import { createTestProductApp } from '../testing/app.ts';
import { migrations } from './index.ts';

describe('product migrations', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  beforeAll(async () => {
    fixture = await createTestProductApp('product_migrations');
  });
  afterAll(() => fixture.close());

  const query = <T>(sql: string) => fixture.orm.em.fork().execute<T[]>(sql);

  it('installs pg_trgm in public and indexes product_search.search_text with its GIN operator class', async () => {
    const [extension] = await query<{ schema: string }>(
      "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
    );
    expect(extension?.schema).toBe('public');
    const indexes = await query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'product' AND indexname = 'product_search_text_trgm'",
    );
    expect(indexes[0]?.indexdef).toMatch(/USING gin \(search_text (public\.)?gin_trgm_ops\)/);
  });

  it('keeps product_search in step with inserts, updates and deletes', async () => {
    const created = await fixture.json('POST', '/api/products', { serial_number: 'MIG-1', name: 'Teak Bench' });
    const { id } = (await created.json()) as { id: number };
    const searchText = async () =>
      (await query<{ search_text: string }>(`SELECT search_text FROM product.product_search WHERE id = ${id}`))[0]
        ?.search_text;
    expect(await searchText()).toBe('mig-1\nteak bench');
    await fixture.json('PUT', `/api/products/${id}`, { name: 'Oak Bench' });
    expect(await searchText()).toBe('mig-1\noak bench');
    await fixture.app.request(`/api/products/${id}`, { method: 'DELETE' });
    expect(await searchText()).toBeUndefined();
  });

  it('applies nothing twice when another replica starts on the migrated schema', async () => {
    const again = await initOrm({ databaseUrl: fixture.databaseUrl, schema: 'product', entities, migrations });
    try {
      const applied = await again.em
        .fork()
        .execute<{ name: string }[]>('SELECT name FROM product.mikro_orm_migrations');
      expect(applied.map((row) => row.name)).toEqual(Object.keys(migrations));
    } finally {
      await again.close();
    }
  });
});
