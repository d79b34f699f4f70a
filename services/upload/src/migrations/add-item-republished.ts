import { Migration } from '@mikro-orm/migrations';

/**
 * How many times the stalled-items sweep has published an item's job again, and an index that finds the
 * unfinished items by age without reading the finished ones.
 */
export class AddItemRepublished extends Migration {
  override async up() {
    this.addSql('ALTER TABLE upload.items ADD COLUMN republished integer NOT NULL DEFAULT 0');
    this.addSql(
      "CREATE INDEX items_unfinished_idx ON upload.items (updated_at) WHERE status IN ('queued', 'processing')",
    );
  }

  override async down() {
    this.addSql('DROP INDEX upload.items_unfinished_idx');
    this.addSql('ALTER TABLE upload.items DROP COLUMN republished');
  }
}
