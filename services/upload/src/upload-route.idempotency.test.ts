import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, createHarness, csvForm, type Harness } from './testing/harness.ts';

describe('POST /api/upload with an Idempotency-Key', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('upload_idempotency');
  });
  afterAll(() => harness.close());

  const csv = `${CSV_HEADER}\nS1,One,https://img.test/1.jpg\n`;

  it('returns the first request for the same key and body, creating nothing more', async () => {
    const first = await harness.upload(csvForm(csv), { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(202);
    // The same content with other line ends is the same upload.
    const again = await harness.upload(csvForm(csv.replaceAll('\n', '\r\n')), { 'idempotency-key': 'key-1' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await harness.count('requests')).toBe(1);
    expect(await harness.count('outbox')).toBe(1);
  });

  it('answers 409 for the same key with a different body', async () => {
    const { status, body } = await harness.upload(csvForm(csv, { quality: '90' }), { 'idempotency-key': 'key-1' });
    expect(status).toBe(409);
    expect(body.type).toBe('/problems/conflict');
    expect(await harness.count('requests')).toBe(1);
  });

  it('creates one request when the same key arrives several times at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => harness.upload(csvForm(csv), { 'idempotency-key': 'key-concurrent' })),
    );
    const ids = new Set(answers.map((answer) => answer.body.request_id));
    expect(ids.size).toBe(1);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 202]);
    expect(await harness.count('requests')).toBe(2);
  });

  it('treats uploads without a key as new requests', async () => {
    const first = await harness.upload(csvForm(csv));
    const second = await harness.upload(csvForm(csv));
    expect(first.body.request_id).not.toBe(second.body.request_id);
  });
});
