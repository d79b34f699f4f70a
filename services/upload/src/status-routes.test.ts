import { UploadListSchema, UploadStatusSchema } from '@ipp/contracts';
import { STORAGE_DRIVERS } from '@ipp/platform/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImageEvent } from './apply-image-event.ts';
import { failedEvent, itemsOf, processedEvent } from './testing/events.ts';
import { CSV_HEADER, createHarness, csvForm, type Harness, PUBLIC_BASE_URL } from './testing/harness.ts';

describe.each(STORAGE_DRIVERS)('status, list and output CSV on %s storage', (driver) => {
  let harness: Harness;
  let requestId: string;
  const csv = `${CSV_HEADER}\nS1,Desk,"https://img.test/1.jpg,https://img.test/2.jpg"\nS2,Chair,https://img.test/3.jpg\n`;
  const apply = (event: Parameters<typeof applyImageEvent>[1]) =>
    applyImageEvent({ pool: harness.pool, storage: harness.storage, publicBaseUrl: PUBLIC_BASE_URL }, event);

  beforeAll(async () => {
    harness = await createHarness('upload_status', { driver });
    const older = await harness.upload(csvForm(`${CSV_HEADER}\nS9,Old,https://img.test/9.jpg\n`));
    expect(older.status).toBe(202);
    const { body } = await harness.upload(csvForm(csv, { webhook_url: 'https://hooks.test/x' }));
    requestId = body.request_id;
  });
  afterAll(() => harness.close());

  it('shows a new request as queued with every item', async () => {
    const { status, body } = await harness.getJson(`/api/status/${requestId}`);
    expect(status).toBe(200);
    expect(UploadStatusSchema.parse(body)).toMatchObject({
      request_id: requestId,
      status: 'queued',
      total: 3,
      processed: 0,
      failed: 0,
      progress: 0,
      completed_at: null,
      output_csv_url: null,
      webhook: { url: 'https://hooks.test/x', status: 'pending', attempts: 0 },
    });
    expect(body.items.map((item: { input_url: string; status: string }) => [item.input_url, item.status])).toEqual([
      ['https://img.test/1.jpg', 'queued'],
      ['https://img.test/2.jpg', 'queued'],
      ['https://img.test/3.jpg', 'queued'],
    ]);
    expect((await harness.getJson(`/api/uploads/${requestId}`)).body).toEqual(body);
  });

  it('answers 409 for the output CSV while processing, 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await harness.request(`/api/uploads/${requestId}/output.csv`)).status).toBe(409);
    expect((await harness.request(`/api/uploads/${crypto.randomUUID()}/output.csv`)).status).toBe(404);
    expect((await harness.request('/api/uploads/not-a-uuid/output.csv')).status).toBe(400);
    expect((await harness.getJson(`/api/status/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await harness.getJson('/api/status/123')).status).toBe(400);
  });

  it('applies results once each and completes with errors when an image failed', async () => {
    const [first, second, third] = await itemsOf(harness.pool, requestId);
    if (!first || !second || !third) throw new Error('expected three items');
    const processed = processedEvent(first);
    expect(await apply(processed)).toBe('applied');
    expect(await apply(processed)).toBe('duplicate');
    expect((await harness.getJson(`/api/status/${requestId}`)).body).toMatchObject({
      status: 'processing',
      processed: 1,
    });
    expect(await apply(failedEvent(second))).toBe('applied');
    expect(await apply(processedEvent(second))).toBe('duplicate');
    expect(await apply(processedEvent(third))).toBe('completed');
    expect(await apply(processedEvent(third))).toBe('duplicate');

    const { body } = await harness.getJson(`/api/status/${requestId}`);
    expect(body).toMatchObject({
      status: 'completed_with_errors',
      total: 3,
      processed: 2,
      failed: 1,
      progress: 1,
      output_csv_url: `${PUBLIC_BASE_URL}/api/uploads/${requestId}/output.csv`,
    });
    expect(body.completed_at).not.toBeNull();
    expect(body.items[1]).toMatchObject({
      status: 'failed',
      error: 'not_an_image: the source is not an image',
      output_url: null,
    });
    expect(body.items[0]).toMatchObject({ status: 'done', input_bytes: 2000, output_bytes: 1000 });

    const response = await harness.request(`/api/uploads/${requestId}/output.csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(await response.text()).toBe(
      [
        'Serial Number,Product Name,Input Image Urls,Output Image Urls',
        `S1,Desk,"https://img.test/1.jpg,https://img.test/2.jpg","${processed.output_url},"`,
        `S2,Chair,https://img.test/3.jpg,http://files.test/files/outputs/${third.id}.jpg`,
        '',
      ].join('\n'),
    );
    const webhook = await harness.pool.query(
      'SELECT payload, next_attempt_at FROM upload.webhook_deliveries WHERE request_id = $1',
      [requestId],
    );
    expect(webhook.rows[0].payload).toMatchObject({
      type: 'upload.completed',
      request_id: requestId,
      status: 'completed_with_errors',
    });
    expect(webhook.rows[0].next_attempt_at).not.toBeNull();
  });

  it('lists requests newest first, paginated', async () => {
    const { status, body } = await harness.getJson('/api/uploads?page=1&per_page=1');
    expect(status).toBe(200);
    expect(UploadListSchema.parse(body)).toMatchObject({ page: 1, per_page: 1, total: 2, pages: 2 });
    expect(body.items[0].request_id).toBe(requestId);
    expect(body.items[0].items).toBeUndefined();
    const second = await harness.getJson('/api/uploads?page=2&per_page=1');
    expect(second.body.items[0].status).toBe('queued');
    expect((await harness.getJson('/api/uploads?per_page=101')).status).toBe(400);
    expect((await harness.getJson('/api/uploads?page=0')).status).toBe(400);
  });
});
