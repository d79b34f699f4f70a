import type { Logger } from '@ipp/platform';
import { RETRY_DELAYS_MS } from '@ipp/platform/amqp';
import type { ObjectStorage } from '@ipp/platform/storage';
import { applyImageEvent, type EventOutcome, failureOf } from './apply-image-event.ts';
import { createPeriodicSweep } from './background-loop.ts';
import { type Pool, transaction } from './database.ts';
import { insertJobs } from './upload-repository.ts';

/** What sharp may spend on one image on a busy core once its source is downloaded (a 50-megapixel source). */
const PROCESSING_BOUND_MS = 30_000;

/**
 * The longest a worker can take to answer a job it has taken: every attempt downloading and processing,
 * with every retry delay between them, half as much again for margin, rounded up to a whole minute. With
 * the 1 s, 5 s, 30 s and 2 min tiers and a 15 s fetch timeout: 156 s + 5 × 45 s = 381 s → 600 s.
 */
export function defaultStallTimeoutS(fetchTimeoutMs: number) {
  const attempts = RETRY_DELAYS_MS.length + 1;
  const delaysMs = RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);
  const worstCaseMs = delaysMs + attempts * (fetchTimeoutMs + PROCESSING_BOUND_MS);
  return Math.ceil((worstCaseMs * 1.5) / 60_000) * 60;
}

type Stalled = { id: string; request_id: string; serial_number: string; input_url: string; republished: number };

/**
 * An unfinished item whose last change is older than `$1` seconds. A `queued` item counts only when none
 * of its jobs is still waiting in the outbox: until the broker has it, the relay is in charge.
 */
const STALLED = `
  item.status IN ('queued', 'processing') AND item.updated_at < now() - make_interval(secs => $1)
  AND (item.status = 'processing' OR NOT EXISTS (
    SELECT 1 FROM upload.outbox job WHERE job.sent_at IS NULL AND job.payload->>'item_id' = item.id::text))`;

/**
 * Finds items whose job or result was lost after the broker took the job (a dead-lettered result event, a
 * message dropped with a broker's data, a bug) so that no request stays `processing` forever. Each stalled
 * item has its job published again through the outbox, at most `maxRepublishes` times; an item still
 * stalled after that fails with code `stalled`, through the same path as a worker's `image.failed`, so
 * its request finishes (counts, output CSV, webhook).
 *
 * Age alone would take a job waiting its turn behind a backlog for a lost one, so the stall clock starts
 * only once the jobs queue has been seen empty: an item counts as stalled when it last changed before a
 * moment the queue held no waiting job (its job had reached a worker) and that moment is `stallTimeoutMs`
 * old. When the queue's depth cannot be read (broker away), the sweep waits. Replicas may sweep at once:
 * republished items are claimed with FOR UPDATE SKIP LOCKED in the transaction that writes their jobs, and
 * an item changes only from `queued`/`processing`, so no item is republished twice in a round or failed twice.
 */
export function createStalledItemsSweep(options: {
  pool: Pool;
  storage: ObjectStorage;
  publicBaseUrl: string;
  logger: Logger;
  /** Jobs waiting in the jobs queue (not yet taken by a worker). */
  jobsWaiting: () => Promise<number>;
  stallTimeoutMs: number;
  maxRepublishes: number;
  intervalMs?: number;
  batchSize?: number;
  onRepublished?: (count: number) => void;
  onStalled?: (outcome: EventOutcome) => void;
}) {
  const { pool, logger, stallTimeoutMs, maxRepublishes, intervalMs = 30_000, batchSize = 500 } = options;
  /** When the jobs queue was seen empty, oldest first; only the latest one older than the timeout matters. */
  let drainedAt: number[] = [];

  /** Seconds since the latest moment the jobs queue was seen empty that is at least the timeout ago. */
  async function stallAgeS() {
    const now = Date.now();
    // With the broker away (or not yet connected at start), the sweep waits: no backlog can be ruled out.
    const waiting = await options.jobsWaiting().catch((error: unknown) => {
      logger.debug({ err: error }, 'jobs queue depth unknown; the sweep waits for the broker');
      return undefined;
    });
    if (waiting === undefined) return undefined;
    if (waiting === 0) drainedAt.push(now);
    const old = drainedAt.filter((time) => now - time >= stallTimeoutMs);
    const latest = old.at(-1);
    if (latest === undefined) return undefined;
    drainedAt = drainedAt.filter((time) => time >= latest);
    return (now - latest) / 1000;
  }

  /** Publishes the jobs of one batch of stalled items again; their items are `queued` until the broker confirms. */
  async function republish(ageS: number) {
    return transaction(pool, async (client) => {
      // Their requests are locked before the items, as result events lock them (and the items' version trigger
      // needs); the items are then claimed, checked again, with SKIP LOCKED.
      const candidates = await client.query<{ id: string; request_id: string }>(
        `SELECT item.id, item.request_id FROM upload.items item WHERE ${STALLED} AND item.republished < $2
         ORDER BY item.updated_at LIMIT $3`,
        [ageS, maxRepublishes, batchSize],
      );
      if (!candidates.rowCount) return 0;
      await client.query('SELECT id FROM upload.requests WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [
        [...new Set(candidates.rows.map((row) => row.request_id))],
      ]);
      const { rows } = await client.query<{ id: string }>(
        `SELECT item.id FROM upload.items item WHERE item.id = ANY($3::uuid[]) AND ${STALLED} AND item.republished < $2
         FOR UPDATE SKIP LOCKED`,
        [ageS, maxRepublishes, candidates.rows.map((row) => row.id)],
      );
      const itemIds = rows.map((row) => row.id);
      if (!itemIds.length) return 0;
      await client.query(
        `UPDATE upload.items SET status = 'queued', republished = republished + 1, updated_at = now()
         WHERE id = ANY($1::uuid[])`,
        [itemIds],
      );
      await insertJobs(client, { itemIds });
      logger.warn({ count: itemIds.length, first_item_id: itemIds[0] }, 'stalled items republished');
      return itemIds.length;
    });
  }

  /** Fails one batch of items still stalled after every republication; the number found. */
  async function failStalled(ageS: number) {
    const { rows } = await pool.query<Stalled>(
      `SELECT item.id, item.request_id, item.serial_number, item.input_url, item.republished FROM upload.items item
       WHERE ${STALLED} AND item.republished >= $2 ORDER BY item.updated_at LIMIT $3`,
      [ageS, maxRepublishes, batchSize],
    );
    for (const item of rows) {
      const failed = failureOf(
        {
          request_id: item.request_id,
          item_id: item.id,
          product: { id: null, serial_number: item.serial_number },
          input_url: item.input_url,
        },
        'stalled',
        `no result arrived after its job was sent ${item.republished + 1} times; the job or its result was lost`,
      );
      const outcome = await applyImageEvent(options, failed);
      logger.warn({ request_id: item.request_id, item_id: item.id, outcome }, 'stalled item failed');
      options.onStalled?.(outcome);
    }
    return rows.length;
  }

  /** One round: republishes, then fails, what has stalled, batch after batch. */
  async function sweep() {
    const ageS = await stallAgeS();
    if (ageS === undefined) return;
    for (let count = batchSize; count === batchSize; ) {
      count = await republish(ageS);
      options.onRepublished?.(count);
    }
    while ((await failStalled(ageS)) === batchSize);
  }

  return { sweep, ...createPeriodicSweep({ name: 'stalled items sweep', logger, intervalMs, sweep }) };
}
