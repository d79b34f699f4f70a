import type { Migrations } from '@ipp/platform/migrations';
import { addChangeVersions } from './add-change-versions.ts';
import { addItemRepublished } from './add-item-republished.ts';
import { addRequestDeleting } from './add-request-deleting.ts';
import { addRequestOwner } from './add-request-owner.ts';
import { createUploadSchema } from './create-upload-schema.ts';

/** Committed migrations, applied in name order; never edit one that has shipped, add a new one. */
export const migrations: Migrations = {
  '20261128130000_create_upload_schema': createUploadSchema,
  '20261203100000_add_item_republished': addItemRepublished,
  '20261203140000_add_request_deleting': addRequestDeleting,
  '20261203143000_add_change_versions': addChangeVersions,
  '20261203150000_add_request_owner': addRequestOwner,
};
