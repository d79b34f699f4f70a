import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, createHarness, csvForm, type Harness } from './testing/harness.ts';

// What the gateway says of a caller (it strips these headers from clients).
const as = (keyId: string | null, visibility: 'own' | 'all' = 'own') => ({
  ...(keyId ? { 'x-ipp-key-id': keyId } : {}),
  'x-ipp-visibility': visibility,
});

describe('uploads belong to the key that made them', () => {
  let harness: Harness;
  const ids: Record<string, string> = {};
  const get = async (path: string, headers: Record<string, string>) => {
    const response = await harness.request(path, { headers });
    return { status: response.status, body: await response.text() };
  };

  beforeAll(async () => {
    harness = await createHarness('upload_ownership');
    for (const owner of ['key-a', 'key-b']) {
      const { status, body } = await harness.upload(
        csvForm(`${CSV_HEADER}\n${owner},Desk,https://img.test/${owner}.jpg\n`),
        as(owner),
      );
      expect(status).toBe(202);
      ids[owner] = body.request_id;
    }
    ids.anonymous = (
      await harness.upload(csvForm(`${CSV_HEADER}\nANON,Desk,https://img.test/a.jpg\n`))
    ).body.request_id;
  });
  afterAll(() => harness.close());

  it('records the owner of each request', async () => {
    const { rows } = await harness.pool.query('SELECT id, owner_key_id FROM upload.requests');
    const owners = Object.fromEntries(rows.map((row) => [row.id, row.owner_key_id]));
    expect([owners[ids['key-a'] ?? ''], owners[ids['key-b'] ?? ''], owners[ids.anonymous ?? '']]).toEqual([
      'key-a',
      'key-b',
      null,
    ]);
  });

  it('lists only the caller’s own requests; admin and callers without a gateway see all', async () => {
    const listed = async (headers: Record<string, string>) =>
      JSON.parse((await get('/api/uploads?per_page=100', headers)).body).items.map(
        (item: { request_id: string }) => item.request_id,
      );
    expect(await listed(as('key-a'))).toEqual([ids['key-a']]);
    expect(JSON.parse((await get('/api/uploads', as('key-a'))).body).total).toBe(1);
    expect(await listed(as('key-b'))).toEqual([ids['key-b']]);
    expect(await listed(as(null))).toEqual([ids.anonymous]);
    expect((await listed(as('admin-key', 'all'))).sort()).toEqual(Object.values(ids).sort());
    expect((await listed({})).length).toBe(3);
  });

  it('answers 404, not 403, for another key’s status, events and output CSV', async () => {
    const other = ids['key-b'];
    const paths = ['/api/status/', '/api/uploads/', '/api/uploads/{}/output.csv', '/api/uploads/{}/events'].map(
      (path) => (path.includes('{}') ? path.replace('{}', other ?? '') : `${path}${other}`),
    );
    for (const path of paths) {
      const refused = await get(path, as('key-a'));
      expect(refused.status).toBe(404);
      expect(JSON.parse(refused.body).detail).toBe(`No upload request ${other}`);
    }
    expect((await get(`/api/status/${other}`, as('key-b'))).status).toBe(200);
    expect((await get(`/api/status/${other}`, as('admin-key', 'all'))).status).toBe(200);
    // Still processing: the owner gets 409 where a stranger got 404.
    expect((await get(`/api/uploads/${other}/output.csv`, as('key-b'))).status).toBe(409);
  });

  it('answers 404, not 403, to a DELETE of another key’s request, and leaves it', async () => {
    const other = ids['key-b'];
    const remove = (headers: Record<string, string>) =>
      harness.request(`/api/uploads/${other}`, { method: 'DELETE', headers });
    expect((await remove(as('key-a'))).status).toBe(404);
    expect((await get(`/api/status/${other}`, as('key-b'))).status).toBe(200);
    // Its owner and an admin reach it: still processing, so 409.
    expect((await remove(as('key-b'))).status).toBe(409);
    expect((await remove(as('admin-key', 'all'))).status).toBe(409);
  });

  it('keeps each key’s Idempotency-Keys apart', async () => {
    const csv = csvForm(`${CSV_HEADER}\nIDEM,Desk,https://img.test/i.jpg\n`);
    const first = await harness.upload(csv, { ...as('key-a'), 'idempotency-key': 'same-key' });
    const replay = await harness.upload(csv, { ...as('key-a'), 'idempotency-key': 'same-key' });
    const other = await harness.upload(csv, { ...as('key-b'), 'idempotency-key': 'same-key' });
    expect([first.status, replay.status, other.status]).toEqual([202, 200, 202]);
    expect(replay.body.request_id).toBe(first.body.request_id);
    expect(other.body.request_id).not.toBe(first.body.request_id);
  });
});
