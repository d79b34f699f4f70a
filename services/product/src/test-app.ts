// Test fixture: the product app in-process against a database of the test file's own.
import { createLogger, createMetrics } from '@ipp/platform';
import { initOrm } from '@ipp/platform/orm';
import { createTestDatabase } from '@ipp/platform/testing';
import { createProductApp } from './app.ts';
import { entities } from './entities.ts';
import { migrations } from './migrations/index.ts';

export async function createTestProductApp(label: string) {
  const database = await createTestDatabase(label);
  const orm = await initOrm({ databaseUrl: database.url, schema: 'product', entities, migrations, poolMax: 4 });
  const logger = createLogger({ service: 'product', level: 'silent' });
  const app = createProductApp({ orm, logger, metrics: createMetrics('product'), checks: {} });
  const json = (method: string, path: string, body: unknown) =>
    app.request(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    app,
    orm,
    databaseUrl: database.url,
    json,
    async close() {
      await orm.close();
      await database.drop();
    },
  };
}
