import { csvKey } from '@ipp/platform/storage';
import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { until } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../database.ts';
import { markDeleting } from '../request-deletion.ts';
import { finishedRequest, storedKeys } from '../testing/finished-request.ts';
import { CSV_HEADER, createHarness, csvForm, type Harness } from '../testing/harness.ts';

describe.each(STORAGE_DRIVERS)('DELETE /api/uploads/{request_id} on %s storage', (driver) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('upload_delete', { driver });
  });
  afterAll(() => harness.close());

  const remove = (requestId: string) => harness.request(`/api/uploads/${requestId}`, { method: 'DELETE' });
  const rowsOf = async (requestId: string) => {
    const { rows } = await harness.pool.query<{ requests: number; items: number }>(
      `SELECT (SELECT count(*)::int FROM upload.requests WHERE id = $1) AS requests,
              (SELECT count(*)::int FROM upload.items WHERE request_id = $1) AS items`,
      [requestId],
    );
    return rows[0];
  };
  const deletedEvents = async (requestId: string) => {
    const { rows } = await harness.pool.query(
      "SELECT exchange, payload FROM upload.outbox WHERE routing_key = 'upload.deleted' AND payload->>'request_id' = $1",
      [requestId],
    );
    return rows;
  };

  it('deletes a finished request, its items and every object it stored, and tells the products', async () => {
    const { requestId, keys } = await finishedRequest(harness);
    const other = await finishedRequest(harness, 1);
    expect(keys).toHaveLength(2 + 4 + 1);
    expect(await storedKeys(harness, keys)).toEqual(keys);

    const response = await remove(requestId);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(await storedKeys(harness, keys)).toEqual([]);
    expect(await rowsOf(requestId)).toEqual({ requests: 0, items: 0 });
    expect(await deletedEvents(requestId)).toEqual([
      {
        exchange: 'upload.events',
        payload: expect.objectContaining({ type: 'upload.deleted', request_id: requestId }),
      },
    ]);
    expect((await harness.getJson(`/api/status/${requestId}`)).status).toBe(404);
    expect((await remove(requestId)).status).toBe(404);
    // The other request and its objects are untouched.
    expect(await storedKeys(harness, other.keys)).toEqual(other.keys);
    expect((await harness.getJson(`/api/status/${other.requestId}`)).body.status).toBe('completed');
  });

  it('answers 409 while the request is processing, and changes nothing', async () => {
    const accepted = await harness.upload(csvForm(`${CSV_HEADER}\nS1,Desk,https://img.test/1.jpg\n`));
    const response = await remove(accepted.body.request_id);
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await rowsOf(accepted.body.request_id)).toEqual({ requests: 1, items: 1 });
    expect(await deletedEvents(accepted.body.request_id)).toEqual([]);
    expect((await harness.getJson(`/api/status/${accepted.body.request_id}`)).body.status).toBe('queued');
  });

  it('answers 404 for an unknown request and 400 for a malformed id', async () => {
    const unknown = await remove(crypto.randomUUID());
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { type: string }).type).toBe('/problems/not-found');
    const malformed = await remove('not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('request_id');
  });

  it('finishes a deletion cut short after the mark (a crash): hidden at once, completed by the next DELETE', async () => {
    const { requestId, keys } = await finishedRequest(harness, 1);
    await transaction(harness.pool, (client) => markDeleting(client, [requestId]));
    expect((await harness.getJson(`/api/status/${requestId}`)).status).toBe(404);
    expect(
      (await harness.getJson('/api/uploads?per_page=100')).body.items.map(
        (item: { request_id: string }) => item.request_id,
      ),
    ).not.toContain(requestId);
    expect((await harness.request(`/api/uploads/${requestId}/output.csv`)).status).toBe(404);
    expect(await storedKeys(harness, keys)).toEqual(keys);

    expect((await remove(requestId)).status).toBe(204);
    expect(await storedKeys(harness, keys)).toEqual([]);
    expect(await rowsOf(requestId)).toEqual({ requests: 0, items: 0 });
    expect(await deletedEvents(requestId)).toHaveLength(1);
  });

  it('releases the idempotency key: the same upload again makes a new request', async () => {
    const csv = `${CSV_HEADER}\nS1,Desk,https://img.test/1.jpg\n`;
    const first = await harness.upload(csvForm(csv), { 'idempotency-key': 'delete-me' });
    await transaction(harness.pool, (client) => markDeleting(client, [first.body.request_id]));
    const again = await harness.upload(csvForm(csv), { 'idempotency-key': 'delete-me' });
    expect(again.status).toBe(202);
    expect(again.body.request_id).not.toBe(first.body.request_id);
  });

  it('writes a lost output CSV again on GET, but not once a deletion has marked its request', async () => {
    const { requestId } = await finishedRequest(harness, 1);
    // Lost when the request finished (storage away then): the next GET writes it again.
    await harness.storage.delete(csvKey(requestId));
    const rewritten = await harness.request(`/api/uploads/${requestId}/output.csv`);
    expect(rewritten.status).toBe(200);
    expect((await rewritten.text()).trim().split('\n')).toHaveLength(2);
    expect(await harness.storage.head(csvKey(requestId))).toBeDefined();

    await harness.storage.delete(csvKey(requestId));
    const deleting = await harness.pool.connect();
    try {
      await deleting.query('BEGIN');
      await deleting.query('SELECT 1 FROM upload.requests WHERE id = $1 FOR UPDATE', [requestId]);
      const answer = harness.request(`/api/uploads/${requestId}/output.csv`);
      // The GET waits on the request's row while the deletion marks it (one that does not wait has answered
      // by the end of this, and the assertions below say what it did).
      await until(
        async () => {
          const { rows } = await harness.pool.query<{ waiting: number }>(
            "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
          );
          return (rows[0]?.waiting ?? 0) > 0;
        },
        { timeoutMs: 5_000 },
      ).catch(() => undefined);
      await markDeleting(deleting, [requestId]);
      await deleting.query('COMMIT');
      expect((await answer).status).toBe(404);
    } finally {
      deleting.release();
    }
    expect(await harness.storage.head(csvKey(requestId))).toBeUndefined();
    expect((await remove(requestId)).status).toBe(204);
  });

  if (driver === 's3') {
    it('answers 503 while the S3 server is away, keeps the request hidden, and a retry finishes it', async () => {
      const { requestId, keys } = await finishedRequest(harness, 1);
      await harness.s3?.stop();
      try {
        const response = await remove(requestId);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect((await harness.getJson(`/api/status/${requestId}`)).status).toBe(404);
      } finally {
        await harness.s3?.start();
      }
      expect(await storedKeys(harness, keys)).toEqual(keys);
      expect((await remove(requestId)).status).toBe(204);
      expect(await storedKeys(harness, keys)).toEqual([]);
      expect(await rowsOf(requestId)).toEqual({ requests: 0, items: 0 });
    });
  }
});
