import { Migration } from '@mikro-orm/migrations';

/**
 * Upload requests that were deleted (`upload.deleted`): their images are dropped, and a late
 * `image.processed` of one of them (the two queues are consumed independently) attaches nothing.
 */
export class Migration20261203140000DeletedRequests extends Migration {
  override async up() {
    this.addSql(`
      CREATE TABLE product.deleted_requests (
        request_id uuid PRIMARY KEY,
        deleted_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql('CREATE INDEX product_images_request_id_index ON product.product_images (request_id)');
  }
}
