import type { Logger } from '@ipp/platform';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { createBackgroundLoop } from './background-loop.ts';
import { type Pool, type Queryable, transaction } from './database.ts';

export type Publish = (
  exchange: string,
  routingKey: string,
  message: unknown,
  headers: Record<string, string>,
) => Promise<void>;

type OutboxRow = {
  id: string;
  exchange: string;
  routing_key: string;
  payload: unknown;
  headers: Record<string, string>;
};

/**
 * Publishes outbox rows with broker confirms and marks them sent. Woken after each accepted upload and
 * polling besides; rows are claimed with FOR UPDATE SKIP LOCKED so replicas share the work. A failed
 * publish leaves the row for a later pass, so nothing written is lost while the broker is away.
 */
export function createOutboxRelay(options: {
  pool: Pool;
  publish: Publish;
  logger: Logger;
  onPublished?: (count: number) => void;
  batchSize?: number;
  pollMs?: number;
  /** How long sent rows are kept (for inspection) before they are deleted. */
  keepSentMs?: number;
  /** A publish not confirmed within this bound counts as failed (and is retried), so a pass never hangs. */
  confirmTimeoutMs?: number;
}) {
  const { pool, logger, batchSize = 500, pollMs = 1000, keepSentMs = 86_400_000, confirmTimeoutMs = 30_000 } = options;
  let lastCleanup = 0;

  /** Publishes one row inside the upload's trace context, failing when the broker has not confirmed in time. */
  function publish(row: OutboxRow) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no broker confirm within ${confirmTimeoutMs} ms`)), confirmTimeoutMs);
    });
    const uploadContext = propagation.extract(ROOT_CONTEXT, row.headers);
    const published = context.with(uploadContext, () =>
      options.publish(row.exchange, row.routing_key, row.payload, row.headers),
    );
    return Promise.race([published, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Jobs the broker has confirmed are in the workers' hands: their items, and requests still `queued`, move
   * to `processing` (a result that came first is kept). In one transaction, every request concerned is locked
   * first, then items, each in id order, as the result events lock them (and as the items' version trigger
   * needs), so relays and events never deadlock. Best effort: the status is for people, and a result event
   * settles the item anyway.
   */
  async function markProcessing(client: Queryable, outboxIds: string[]) {
    const jobs = `SELECT (payload->>$2)::uuid FROM upload.outbox WHERE id = ANY($1::bigint[]) AND payload ? 'item_id'`;
    await client.query(`SELECT id FROM upload.requests WHERE id IN (${jobs}) ORDER BY id FOR UPDATE`, [
      outboxIds,
      'request_id',
    ]);
    for (const [table, key] of [
      ['requests', 'request_id'],
      ['items', 'item_id'],
    ] as const) {
      await client.query(
        `UPDATE upload.${table} SET status = 'processing', updated_at = now()
         WHERE id IN (SELECT id FROM upload.${table} WHERE status = 'queued' AND id IN (${jobs}) ORDER BY id FOR UPDATE)`,
        [outboxIds, key],
      );
    }
  }

  /** One batch; the number of rows it published, or -1 when a publish failed. */
  async function publishBatch(): Promise<number> {
    const { published, sent } = await transaction(pool, async (client) => {
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, exchange, routing_key, payload, headers FROM upload.outbox
         WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      const results = await Promise.allSettled(rows.map(publish));
      const sent = rows.filter((_, index) => results[index]?.status === 'fulfilled').map((row) => row.id);
      if (sent.length)
        await client.query('UPDATE upload.outbox SET sent_at = now() WHERE id = ANY($1::bigint[])', [sent]);
      options.onPublished?.(sent.length);
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) {
        logger.warn({ err: failure.reason, unsent: rows.length - sent.length }, 'outbox publish failed; will retry');
      }
      return { published: failure ? -1 : rows.length, sent };
    });
    // After the commit: a failure here must not un-send jobs the broker already has.
    if (sent.length) {
      await transaction(pool, (client) => markProcessing(client, sent)).catch((error: unknown) =>
        logger.warn({ err: error }, 'published items not marked processing'),
      );
    }
    return published;
  }

  async function deleteOldSentRows() {
    if (Date.now() - lastCleanup < 60_000) return;
    lastCleanup = Date.now();
    await pool.query('DELETE FROM upload.outbox WHERE sent_at < now() - make_interval(secs => $1)', [
      keepSentMs / 1000,
    ]);
  }

  // A failed publish waits out the poll even when woken: no hot loop against a broken broker.
  return createBackgroundLoop({
    name: 'outbox relay',
    logger,
    pollMs,
    async pass() {
      const published = await publishBatch();
      if (published < 0) return 'failed';
      if (published === batchSize) return 'more';
      await deleteOldSentRows();
      return 'idle';
    },
  });
}
