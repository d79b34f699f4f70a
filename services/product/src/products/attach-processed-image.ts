import type { ImageProcessed } from '@ipp/contracts';
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

export type AttachOutcome = 'attached' | 'duplicate' | 'product_missing';

/**
 * Records a processed image on its product (by id, or by serial number when the job had no id).
 * Idempotent on `item_id`: a redelivered event changes nothing; an event whose product was deleted is dropped.
 */
export async function attachProcessedImage(em: EntityManager, event: ImageProcessed): Promise<AttachOutcome> {
  const target =
    event.product.id === null
      ? { sql: 'serial_number = ?', param: event.product.serial_number }
      : { sql: 'id = ?', param: event.product.id };
  try {
    const rows = await em.execute<{ found: string; inserted: string }[]>(
      `WITH target AS (SELECT id FROM product.products WHERE ${target.sql}),
       inserted AS (
         INSERT INTO product.product_images
           (product_id, input_url, output_url, thumbnail_url, width, height, format, input_bytes, output_bytes,
            request_id, item_id)
         SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM target
         ON CONFLICT (item_id) DO NOTHING
         RETURNING id)
       SELECT (SELECT count(*) FROM target) AS found, (SELECT count(*) FROM inserted) AS inserted`,
      [
        target.param,
        event.input_url,
        event.output_url,
        event.thumbnail_url,
        event.width,
        event.height,
        event.format,
        event.input_bytes,
        event.output_bytes,
        event.request_id,
        event.item_id,
      ],
    );
    const row = rows[0];
    if (!row || Number(row.found) === 0) return 'product_missing';
    return Number(row.inserted) > 0 ? 'attached' : 'duplicate';
  } catch (error) {
    // The product was deleted between the lookup and the insert's foreign-key check.
    if (error instanceof ForeignKeyConstraintViolationException) return 'product_missing';
    throw error;
  }
}
