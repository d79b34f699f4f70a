import { AddItemRepublished } from './add-item-republished.ts';
import { CreateUploadSchema } from './create-upload-schema.ts';

/** Committed migrations, applied in key order; never edit one that has shipped, add a new one. */
export const migrations = {
  '20261128130000_create_upload_schema': CreateUploadSchema,
  '20261203100000_add_item_republished': AddItemRepublished,
};
