import type { Migration } from '@mikro-orm/migrations';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { ensureDatabase, withAdvisoryLock } from './database.ts';
import { Client, CONNECTION_LIMITS } from './postgres.ts';

export type MigrationClass = new (...args: any[]) => Migration;

/**
 * Boots MikroORM for one service's schema: creates the database if missing, then applies the committed
 * migrations under an advisory lock, so several replicas may start at once.
 */
export async function initOrm(options: {
  databaseUrl: string;
  schema: string;
  entities: NonNullable<Options['entities']>;
  migrations: Record<string, MigrationClass>;
  poolMax?: number;
  debug?: boolean;
}): Promise<MikroORM> {
  await ensureDatabase(options.databaseUrl);
  const orm = await MikroORM.init({
    clientUrl: options.databaseUrl,
    schema: options.schema,
    entities: options.entities,
    extensions: [Migrator],
    pool: { min: 0, max: options.poolMax ?? 10 },
    // The same bounds as the platform's pool, so a database that stops answering fails queries instead of
    // hanging them, and the same client, so its statements get the platform's SQL spans.
    driverOptions: { ...CONNECTION_LIMITS, Client },
    debug: options.debug ?? false,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    migrations: {
      tableName: `${options.schema}.mikro_orm_migrations`,
      migrationsList: Object.entries(options.migrations).map(([name, migration]) => ({ name, class: migration })),
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
    },
  });
  await withAdvisoryLock(options.databaseUrl, `migrate:${options.schema}`, async () => {
    await orm.em.getConnection().execute(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await orm.migrator.up();
  });
  return orm;
}
