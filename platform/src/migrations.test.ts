import { Migration as OrmMigration } from '@mikro-orm/migrations';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from './migrations.ts';
import { initOrm } from './orm.ts';
import { createTestDatabase } from './testing/index.ts';

const createWidget = { up: ['CREATE TABLE widget.widget (id serial PRIMARY KEY, name text NOT NULL)'] };
const addFirst = { up: ["INSERT INTO widget.widget (name) VALUES ('first')"] };
const addSecond = { up: ["INSERT INTO widget.widget (name) VALUES ('second')"] };

async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migrate', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeEach(async () => {
    database = await createTestDatabase('migrations');
    await database.drop(); // migrate must create it
  });
  afterEach(() => database.drop());

  it('creates the database and applies each migration once, in name order, when replicas start together', async () => {
    // Listed out of order: the names decide.
    const migrations = { '2_add_first': addFirst, '1_create_widget': createWidget };
    const applied = await Promise.all(
      [1, 2, 3].map(() => migrate({ databaseUrl: database.url, schema: 'widget', migrations })),
    );
    expect(applied.flat()).toEqual(['1_create_widget', '2_add_first']);
    expect(await query(database.url, 'SELECT name FROM widget.widget')).toEqual([{ name: 'first' }]);
    const again = await migrate({
      databaseUrl: database.url,
      schema: 'widget',
      migrations: { ...migrations, '3_add_second': addSecond },
    });
    expect(again).toEqual(['3_add_second']);
    expect(await query(database.url, 'SELECT name FROM widget.schema_migrations ORDER BY name')).toEqual([
      { name: '1_create_widget' },
      { name: '2_add_first' },
      { name: '3_add_second' },
    ]);
  });

  it('rolls a failing migration back whole and records nothing of it', async () => {
    const broken = { up: ["INSERT INTO widget.widget (name) VALUES ('half')", 'SELECT no_such_function()'] };
    const migrations = { '1_create_widget': createWidget, '2_broken': broken };
    await expect(migrate({ databaseUrl: database.url, schema: 'widget', migrations })).rejects.toThrow(
      /no_such_function/,
    );
    expect(await query(database.url, 'SELECT name FROM widget.widget')).toEqual([]);
    expect(await query(database.url, 'SELECT name FROM widget.schema_migrations')).toEqual([
      { name: '1_create_widget' },
    ]);
  });

  it('carries over the record of a schema MikroORM migrated, so nothing is applied twice', async () => {
    class CreateWidget extends OrmMigration {
      override async up() {
        for (const statement of [...createWidget.up, ...addFirst.up]) this.addSql(statement);
      }
    }
    const orm = await initOrm({
      databaseUrl: database.url,
      schema: 'widget',
      entities: [],
      migrations: { '1_create_widget': CreateWidget },
    });
    await orm.close();
    // The same first migration as plain SQL: were it applied again, CREATE TABLE would fail.
    const migrations = { '1_create_widget': { up: [...createWidget.up, ...addFirst.up] }, '2_add_second': addSecond };
    expect(await migrate({ databaseUrl: database.url, schema: 'widget', migrations })).toEqual(['2_add_second']);
    expect(await query(database.url, 'SELECT name FROM widget.widget ORDER BY id')).toEqual([
      { name: 'first' },
      { name: 'second' },
    ]);
  });
});
