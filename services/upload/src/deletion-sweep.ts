import type { Logger } from '@ipp/platform';
import type { ObjectStorage } from '@ipp/platform/storage';
import { createPeriodicSweep } from './background-loop.ts';
import { type Pool, transaction } from './database.ts';
import { markDeleting, removeMarked } from './request-deletion.ts';

/**
 * Deletes, in rounds of `batchSize`, the requests finished more than `retentionDays` ago (0: none), and
 * finishes every deletion that was cut short (a DELETE whose process died, storage away mid-way).
 *
 * A request is claimed in a short transaction with FOR UPDATE SKIP LOCKED that sets `deleting_since` to now:
 * a newly expired one is marked as `DELETE` marks it (hidden, `upload.deleted` in the outbox); one whose mark
 * is older than `leaseMs` has its lease renewed. Replicas therefore never claim the same request in a round,
 * and a claim whose process dies is taken up again once its lease has run out. Removing objects and rows is
 * idempotent, so a deletion resumed after a crash finishes what the first one began.
 */
export function createDeletionSweep(options: {
  pool: Pool;
  storage: ObjectStorage;
  logger: Logger;
  retentionDays: number;
  intervalMs?: number;
  batchSize?: number;
  leaseMs?: number;
}) {
  const { pool, storage, logger, retentionDays, intervalMs = 60_000, batchSize = 100, leaseMs = 300_000 } = options;

  /** One batch of requests to delete, claimed: ids of expired requests (newly marked) and of stale deletions. */
  function claim() {
    return transaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string; marked: boolean }>(
        `SELECT id, deleting_since IS NOT NULL AS marked FROM upload.requests
         WHERE deleting_since < now() - make_interval(secs => $1)
           OR ($2 > 0 AND deleting_since IS NULL AND completed_at < now() - make_interval(days => $2)
               AND status IN ('completed', 'completed_with_errors', 'failed'))
         ORDER BY coalesce(deleting_since, completed_at) LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [leaseMs / 1000, retentionDays, batchSize],
      );
      const expired = rows.filter((row) => !row.marked).map((row) => row.id);
      const resumed = rows.filter((row) => row.marked).map((row) => row.id);
      if (expired.length) await markDeleting(client, expired);
      if (resumed.length) {
        await client.query('UPDATE upload.requests SET deleting_since = now() WHERE id = ANY($1::uuid[])', [resumed]);
      }
      return { expired, resumed };
    });
  }

  /**
   * Claims and deletes batch after batch until a batch comes back short, or a deletion fails (storage away:
   * the rest waits for the next round rather than being claimed only to fail); the number deleted.
   */
  async function sweep() {
    let deleted = 0;
    for (let claimed = batchSize; claimed === batchSize; ) {
      const { expired, resumed } = await claim();
      claimed = expired.length + resumed.length;
      if (resumed.length) logger.warn({ count: resumed.length }, 'resuming upload request deletions cut short');
      for (const requestId of [...expired, ...resumed]) {
        try {
          await removeMarked({ pool, storage }, requestId);
          deleted += 1;
        } catch (error) {
          // Left marked: its lease runs out and a later round takes it up again.
          logger.warn({ err: error, request_id: requestId }, 'upload request deletion failed; will retry');
          claimed = 0;
          break;
        }
      }
    }
    if (deleted) logger.info({ deleted, retention_days: retentionDays }, 'upload requests deleted by the sweep');
    return deleted;
  }

  return { sweep, ...createPeriodicSweep({ name: 'deletion sweep', logger, intervalMs, sweep }) };
}
