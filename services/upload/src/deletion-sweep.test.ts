import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, transaction } from './database.ts';
import { createDeletionSweep } from './deletion-sweep.ts';
import { markDeleting } from './request-deletion.ts';
import { finishedRequest, storedKeys } from './testing/finished-request.ts';
import { CSV_HEADER, createHarness, csvForm, type Harness, testLogger } from './testing/harness.ts';

describe.each(STORAGE_DRIVERS)('the deletion sweep on %s storage', (driver) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('upload_deletion_sweep', { driver });
  });
  afterAll(() => harness.close());

  const sweepOf = (options: { retentionDays: number; batchSize?: number; pool?: Harness['pool'] }) =>
    createDeletionSweep({ pool: harness.pool, storage: harness.storage, logger: testLogger, ...options });
  const finishedDaysAgo = async (days: number, count = 1) => {
    const request = await finishedRequest(harness, count);
    await harness.pool.query(
      'UPDATE upload.requests SET completed_at = now() - make_interval(days => $2, hours => 1) WHERE id = $1',
      [request.requestId, days],
    );
    return request;
  };
  const exists = async (requestId: string) =>
    (await harness.pool.query('SELECT 1 FROM upload.requests WHERE id = $1', [requestId])).rowCount === 1;
  const eventsFor = async (requestIds: string[]) => {
    const { rows } = await harness.pool.query<{ request_id: string }>(
      "SELECT payload->>'request_id' AS request_id FROM upload.outbox WHERE routing_key = 'upload.deleted' AND payload->>'request_id' = ANY($1)",
      [requestIds],
    );
    return rows.map((row) => row.request_id).sort();
  };

  it('deletes, batch after batch, the requests finished longer ago than the retention, and only those', async () => {
    const expired = await Promise.all([finishedDaysAgo(8), finishedDaysAgo(9), finishedDaysAgo(30)]);
    const recent = await finishedDaysAgo(6);
    const unfinished = await harness.upload(csvForm(`${CSV_HEADER}\nS1,Desk,https://img.test/1.jpg\n`));
    await harness.pool.query("UPDATE upload.requests SET created_at = now() - interval '60 days' WHERE id = $1", [
      unfinished.body.request_id,
    ]);

    expect(await sweepOf({ retentionDays: 0 }).sweep()).toBe(0);
    expect(await sweepOf({ retentionDays: 7, batchSize: 2 }).sweep()).toBe(3);

    for (const request of expired) {
      expect(await exists(request.requestId)).toBe(false);
      expect(await storedKeys(harness, request.keys)).toEqual([]);
    }
    expect(await eventsFor(expired.map((request) => request.requestId))).toEqual(
      expired.map((request) => request.requestId).sort(),
    );
    expect(await exists(recent.requestId)).toBe(true);
    expect(await storedKeys(harness, recent.keys)).toEqual(recent.keys);
    expect(await exists(unfinished.body.request_id)).toBe(true);
  });

  it('deletes each request once when several replicas sweep at the same time', async () => {
    const expired = await Promise.all(Array.from({ length: 6 }, () => finishedDaysAgo(40)));
    const replicaPools = [createPool({ databaseUrl: harness.databaseUrl, max: 2, logger: testLogger }), harness.pool];
    try {
      const counts = await Promise.all(
        replicaPools.flatMap((pool) => [1, 2].map(() => sweepOf({ retentionDays: 30, batchSize: 2, pool }).sweep())),
      );
      expect(counts.reduce((sum, count) => sum + count, 0)).toBe(expired.length);
    } finally {
      await replicaPools[0]?.end();
    }
    const ids = expired.map((request) => request.requestId);
    expect(await eventsFor(ids)).toEqual([...ids].sort());
    for (const request of expired) expect(await storedKeys(harness, request.keys)).toEqual([]);
  });

  it('resumes a deletion cut short once its lease has run out, and leaves a fresh one to its owner', async () => {
    const stale = await finishedDaysAgo(0);
    const fresh = await finishedDaysAgo(0);
    await transaction(harness.pool, (client) => markDeleting(client, [stale.requestId, fresh.requestId]));
    // The crash came after some objects were gone already.
    await harness.storage.delete(stale.keys[0] ?? '');
    await harness.pool.query(
      "UPDATE upload.requests SET deleting_since = now() - interval '10 minutes' WHERE id = $1",
      [stale.requestId],
    );

    expect(await sweepOf({ retentionDays: 0 }).sweep()).toBe(1);
    expect(await exists(stale.requestId)).toBe(false);
    expect(await storedKeys(harness, stale.keys)).toEqual([]);
    expect(await exists(fresh.requestId)).toBe(true);
    expect(await storedKeys(harness, fresh.keys)).toEqual(fresh.keys);
    // The event went out with the first mark, not again.
    expect(await eventsFor([stale.requestId])).toEqual([stale.requestId]);
  });
});
