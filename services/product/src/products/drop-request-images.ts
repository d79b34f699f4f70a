import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The transaction-level lock on one upload request's images: shared while an image of it is attached,
 * exclusive while they are dropped, so an attach running alongside the drop is either dropped with the rest
 * or sees the request deleted. (A check in the attach's own statement alone would read a snapshot taken
 * before the drop committed.)
 */
export const requestLockSql = (mode: 'shared' | 'exclusive') =>
  `SELECT ${mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock'}(hashtextextended(?, 0))`;

/**
 * Drops every image an upload request attached and remembers the request as deleted, so a processed-image
 * event of it that arrives later attaches nothing. Idempotent: a redelivered event drops nothing more.
 */
export async function dropRequestImages(em: EntityManager, requestId: string): Promise<number> {
  return em.transactional(async (tx) => {
    await tx.execute(requestLockSql('exclusive'), [`upload-request:${requestId}`]);
    await tx.execute(
      'INSERT INTO product.deleted_requests (request_id) VALUES (?) ON CONFLICT (request_id) DO NOTHING',
      [requestId],
    );
    const dropped = await tx.execute<{ id: string }[]>(
      'DELETE FROM product.product_images WHERE request_id = ? RETURNING id',
      [requestId],
    );
    return dropped.length;
  });
}
