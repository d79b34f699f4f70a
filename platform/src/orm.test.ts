import { Migration } from '@mikro-orm/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initOrm } from './orm.ts';
import { createTestDatabase } from './testing/index.ts';

class CreateWidget extends Migration {
  override async up() {
    this.addSql('CREATE TABLE widget.widget (id serial PRIMARY KEY, name text NOT NULL)');
    this.addSql("INSERT INTO widget.widget (name) VALUES ('first')");
  }
}

describe('initOrm', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase('orm');
    await database.drop(); // initOrm must create it
  });
  afterAll(() => database.drop());

  it('creates the database and applies each migration once when several replicas start together', async () => {
    const options = { databaseUrl: database.url, schema: 'widget', entities: [], migrations: { CreateWidget } };
    const orms = await Promise.all([initOrm(options), initOrm(options), initOrm(options)]);
    try {
      const connection = orms[0]!.em.getConnection();
      const rows = await connection.execute('SELECT name FROM widget.widget');
      expect(rows).toEqual([{ name: 'first' }]);
      const applied = await connection.execute('SELECT name FROM widget.mikro_orm_migrations');
      expect(applied.map((row) => row.name)).toEqual(['CreateWidget']);
      // Its pool is bounded as the platform's is, so a database that stops answering fails queries.
      const pool = await connection.getNativeClient();
      expect(pool.options).toMatchObject({ query_timeout: 30_000, connectionTimeoutMillis: 5_000, keepAlive: true });
    } finally {
      await Promise.all(orms.map((orm) => orm.close()));
    }
  });
});
