import type { MigrationClass } from '@ipp/platform/orm';
import { Migration20261128130000CreateProducts } from './Migration20261128130000CreateProducts.ts';
import { Migration20261128143000NarrowSearchTable } from './Migration20261128143000NarrowSearchTable.ts';
import { Migration20261128190000ProductBodiesView } from './Migration20261128190000ProductBodiesView.ts';
import { Migration20261203140000DeletedRequests } from './Migration20261203140000DeletedRequests.ts';

/** Every committed migration, applied in key order by initOrm. */
export const migrations: Record<string, MigrationClass> = {
  Migration20261128130000CreateProducts,
  Migration20261128143000NarrowSearchTable,
  Migration20261128190000ProductBodiesView,
  Migration20261203140000DeletedRequests,
};
