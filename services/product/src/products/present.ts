import type { Product as ProductBody } from '@ipp/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

/** SQL selecting product ids, with its `?` parameters. */
export type IdsQuery = { sql: string; params: unknown[] };

/** The ids given, as an IdsQuery. */
export function givenIds(ids: number[]): IdsQuery {
  return { sql: 'SELECT unnest(ARRAY[?]::bigint[])', params: [ids] };
}

// The API's timestamps: what Date.prototype.toISOString writes (UTC, milliseconds, `Z`).
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const IMAGE_JSON = `json_build_object(
  'id', image.id, 'input_url', image.input_url, 'output_url', image.output_url,
  'thumbnail_url', image.thumbnail_url, 'width', image.width, 'height', image.height, 'format', image.format,
  'input_bytes', image.input_bytes, 'output_bytes', image.output_bytes, 'request_id', image.request_id,
  'created_at', ${iso('image.created_at')})`;

const PRODUCT_JSON = `json_build_object(
  'id', product.id, 'serial_number', product.serial_number, 'name', product.name,
  'description', product.description, 'created_at', ${iso('product.created_at')},
  'updated_at', ${iso('product.updated_at')},
  'images', coalesce(
    (SELECT json_agg(${IMAGE_JSON} ORDER BY image.id) FROM product.product_images image
     WHERE image.product_id = product.id),
    '[]'::json))`;

/**
 * The products `ids` selects, in id order, in the API's snake_case shape with their images: one
 * statement, the JSON built by PostgreSQL. Every product the API returns comes from here, so list, get,
 * create and update answer in one shape. (Loading entities through the ORM cost the list three times
 * its CPU.)
 */
export async function presentProducts(em: EntityManager, ids: IdsQuery): Promise<ProductBody[]> {
  const rows = await em.execute<{ products: ProductBody[] }[]>(
    `SELECT coalesce(json_agg(${PRODUCT_JSON} ORDER BY product.id), '[]'::json) AS products
     FROM product.products product WHERE product.id IN (${ids.sql})`,
    ids.params,
  );
  return rows[0]?.products ?? [];
}
