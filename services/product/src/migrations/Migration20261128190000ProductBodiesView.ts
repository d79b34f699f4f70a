import { Migration } from '@mikro-orm/migrations';

// The API's timestamps: what Date.prototype.toISOString writes (UTC, milliseconds, `Z`).
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * `product_bodies`: every product as the API shows it (snake_case JSON, images included), built by
 * PostgreSQL. The shape lives in the schema so each statement that returns products names it in a few
 * words: the statement text travels with every request to the server and into every trace span.
 * PostgreSQL inlines the view, so a query filtered by id builds the JSON of those rows only.
 */
export class Migration20261128190000ProductBodiesView extends Migration {
  override async up() {
    this.addSql(`
      CREATE VIEW product.product_bodies AS
      SELECT product.id, json_build_object(
        'id', product.id, 'serial_number', product.serial_number, 'name', product.name,
        'description', product.description, 'created_at', ${iso('product.created_at')},
        'updated_at', ${iso('product.updated_at')},
        'images', coalesce(
          (SELECT json_agg(json_build_object(
             'id', image.id, 'input_url', image.input_url, 'output_url', image.output_url,
             'thumbnail_url', image.thumbnail_url, 'width', image.width, 'height', image.height,
             'format', image.format, 'input_bytes', image.input_bytes, 'output_bytes', image.output_bytes,
             'request_id', image.request_id, 'created_at', ${iso('image.created_at')}) ORDER BY image.id)
           FROM product.product_images image WHERE image.product_id = product.id),
          '[]'::json)) AS body
      FROM product.products product`);
  }
}
