import type { ImageProcessed } from '@ipp/contracts';
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { requestLockSql } from './drop-request-images.ts';

export type AttachOutcome = 'attached' | 'duplicate' | 'product_missing' | 'request_deleted';

/**
 * Records a processed image on its product (by id, or by serial number when the job had no id).
 * Idempotent on `item_id`: a redelivered event changes nothing; an event whose product was deleted is dropped,
 * and so is one whose upload request was deleted (`upload.deleted` is consumed from a queue of its own, so it
 * may come first).
 */
export async function attachProcessedImage(em: EntityManager, event: ImageProcessed): Promise<AttachOutcome> {
  const target =
    event.product.id === null
      ? { sql: 'serial_number = ?', param: event.product.serial_number }
      : { sql: 'id = ?', param: event.product.id };
  try {
    const rows = await em.transactional(async (tx) => {
      await tx.execute(requestLockSql('shared'), [`upload-request:${event.request_id}`]);
      return tx.execute<{ found: string; inserted: string; deleted: boolean }[]>(
        `WITH deleted AS (SELECT 1 FROM product.deleted_requests WHERE request_id = ?),
         target AS (SELECT id FROM product.products WHERE ${target.sql} AND NOT EXISTS (SELECT 1 FROM deleted)),
         inserted AS (
           INSERT INTO product.product_images
             (product_id, input_url, output_url, thumbnail_url, width, height, format, input_bytes, output_bytes,
              request_id, item_id)
           SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM target
           ON CONFLICT (item_id) DO NOTHING
           RETURNING id)
         SELECT (SELECT count(*) FROM target) AS found, (SELECT count(*) FROM inserted) AS inserted,
           EXISTS (SELECT 1 FROM deleted) AS deleted`,
        [
          event.request_id,
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
    });
    const row = rows[0];
    if (row?.deleted) return 'request_deleted';
    if (!row || Number(row.found) === 0) return 'product_missing';
    return Number(row.inserted) > 0 ? 'attached' : 'duplicate';
  } catch (error) {
    // The product was deleted between the lookup and the insert's foreign-key check.
    if (error instanceof ForeignKeyConstraintViolationException) return 'product_missing';
    throw error;
  }
}
