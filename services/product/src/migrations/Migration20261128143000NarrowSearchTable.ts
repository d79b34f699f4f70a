import { Migration } from '@mikro-orm/migrations';

/**
 * Moves `search_text` out of `products` into a narrow `product_search` table (id, text) kept by triggers.
 * Counting the matches of a frequent term reads every matching row; on the narrow table that is about half
 * the pages, which also stay in shared buffers where the wide table did not fit.
 */
export class Migration20261128143000NarrowSearchTable extends Migration {
  override async up() {
    this.addSql(`
      CREATE TABLE product.product_search (
        id bigint PRIMARY KEY REFERENCES product.products (id) ON DELETE CASCADE,
        search_text text NOT NULL
      )`);
    this.addSql(`
      INSERT INTO product.product_search (id, search_text)
      SELECT id, lower(serial_number) || E'\\n' || lower(name) FROM product.products`);
    this.addSql('ALTER TABLE product.products DROP COLUMN search_text');
    this.addSql(
      'CREATE INDEX product_search_text_trgm ON product.product_search USING gin (search_text public.gin_trgm_ops)',
    );
    this.addSql(`
      CREATE FUNCTION product.index_product_search() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO product.product_search (id, search_text)
          SELECT id, lower(serial_number) || E'\\n' || lower(name) FROM changed_rows;
        ELSE
          UPDATE product.product_search AS search
          SET search_text = lower(changed.serial_number) || E'\\n' || lower(changed.name)
          FROM changed_rows AS changed
          WHERE search.id = changed.id
            AND search.search_text IS DISTINCT FROM lower(changed.serial_number) || E'\\n' || lower(changed.name);
        END IF;
        RETURN NULL;
      END $$`);
    this.addSql(`
      CREATE TRIGGER products_search_insert AFTER INSERT ON product.products
      REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION product.index_product_search()`);
    this.addSql(`
      CREATE TRIGGER products_search_update AFTER UPDATE ON product.products
      REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION product.index_product_search()`);
  }
}
