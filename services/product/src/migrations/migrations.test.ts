import { initOrm } from '@ipp/platform/orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities } from '../entities.ts';
import { createTestProductApp } from '../test-app.ts';
import { migrations } from './index.ts';

describe('product migrations', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  beforeAll(async () => {
    fixture = await createTestProductApp('product_migrations');
  });
  afterAll(() => fixture.close());

  const query = <T>(sql: string) => fixture.orm.em.fork().execute<T[]>(sql);

  it('installs pg_trgm in public and indexes search_text with its GIN operator class', async () => {
    const [extension] = await query<{ schema: string }>(
      "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
    );
    expect(extension?.schema).toBe('public');
    const indexes = await query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'product' AND indexname = 'products_search_text_trgm'",
    );
    expect(indexes[0]?.indexdef).toMatch(/USING gin \(search_text (public\.)?gin_trgm_ops\)/);
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
