import { UploadEventSchemas } from '@ipp/contracts';
import { connectClient } from '@ipp/platform';
import { type EventStreamClient, openEventStream, until } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImageEvent } from './apply-image-event.ts';
import { LISTENER_APPLICATION_NAME } from './change-listener.ts';
import { failedEvent, itemsOf, processedEvent } from './testing/events.ts';
import { CSV_HEADER, createHarness, csvForm, type Harness, PUBLIC_BASE_URL } from './testing/harness.ts';

const HEARTBEAT_MS = 200;

describe('GET /api/uploads/{request_id}/events', () => {
  let harness: Harness;
  /** A second replica on the same database: the streams are read from it, the changes made through the first. */
  let replica: Awaited<ReturnType<Harness['startReplica']>>;
  const open: EventStreamClient[] = [];
  const apply = (event: Parameters<typeof applyImageEvent>[1]) =>
    applyImageEvent({ pool: harness.pool, storage: harness.storage, publicBaseUrl: PUBLIC_BASE_URL }, event);

  async function newUpload(rows = 2) {
    const csv = `${CSV_HEADER}\n${Array.from({ length: rows }, (_, row) => `S${row},Desk,https://img.test/${row}.jpg`).join('\n')}\n`;
    const { status, body } = await harness.upload(csvForm(csv));
    expect(status).toBe(202);
    return { requestId: body.request_id as string, items: await itemsOf(harness.pool, body.request_id) };
  }
  async function stream(requestId: string, headers: Record<string, string> = {}, baseUrl = replica.baseUrl) {
    const client = await openEventStream(`${baseUrl}/api/uploads/${requestId}/events`, headers);
    open.push(client);
    return client;
  }
  const ids = (client: EventStreamClient) =>
    client.messages.flatMap((message) => (message.kind === 'event' ? [Number(message.id)] : []));

  beforeAll(async () => {
    harness = await createHarness('upload_events', { heartbeatMs: HEARTBEAT_MS });
    replica = await harness.startReplica();
    await until(() => harness.listener.connected() && replica.listener.connected());
  });
  afterAll(async () => {
    for (const client of open) await client.close();
    await harness.close();
  });

  it('streams the progress, then each change applied by another replica, then done, and ends', async () => {
    const { requestId, items } = await newUpload();
    const [first, second] = items;
    if (!first || !second) throw new Error('expected two items');
    const client = await stream(requestId);
    expect(client.status).toBe(200);
    expect(client.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const initial = await client.nextEvent();
    expect(initial?.event).toBe('progress');
    expect(UploadEventSchemas.progress.parse(initial?.json)).toMatchObject({ status: 'queued', processed: 0 });

    expect(await apply(processedEvent(first))).toBe('applied');
    const item = await client.nextEvent();
    expect([item?.event, item?.json.status, item?.json.output_url]).toEqual([
      'item',
      'done',
      `http://files.test/files/outputs/${first.id}.jpg`,
    ]);
    UploadEventSchemas.item.parse(item?.json);
    const progress = await client.nextEvent();
    expect([progress?.event, progress?.json.status, progress?.json.processed]).toEqual(['progress', 'processing', 1]);

    expect(await apply(failedEvent(second))).toBe('completed');
    const failed = await client.nextEvent();
    expect([failed?.event, failed?.json.status, failed?.json.error]).toEqual([
      'item',
      'failed',
      'not_an_image: the source is not an image',
    ]);
    const done = await client.nextEvent();
    expect(done?.event).toBe('done');
    expect(UploadEventSchemas.done.parse(done?.json)).toMatchObject({
      status: 'completed_with_errors',
      processed: 1,
      failed: 1,
      items: [{ status: 'done' }, { status: 'failed' }],
    });
    await client.ended;
    expect(await client.nextEvent(1000)).toBeUndefined();
    const seen = ids(client);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('resumes after Last-Event-ID with every change since, and only those', async () => {
    const { requestId, items } = await newUpload(3);
    const [first, second, third] = items;
    if (!first || !second || !third) throw new Error('expected three items');
    expect(await apply(processedEvent(first))).toBe('applied');
    const before = await stream(requestId);
    const lastSeen = (await before.nextEvent())?.id;
    await before.close();

    // Changed while no one was connected: the second item, and the counters.
    expect(await apply(processedEvent(second))).toBe('applied');
    const resumed = await stream(requestId, { 'last-event-id': String(lastSeen) });
    const item = await resumed.nextEvent();
    expect([item?.event, item?.json.input_url, item?.json.status]).toEqual(['item', second.input_url, 'done']);
    const progress = await resumed.nextEvent();
    expect([progress?.event, progress?.json.processed]).toEqual(['progress', 2]);
    expect(ids(resumed).every((id) => id > Number(lastSeen))).toBe(true);

    // Then live: the last item, and done.
    expect(await apply(processedEvent(third))).toBe('completed');
    expect((await resumed.nextEvent())?.json.input_url).toBe(third.input_url);
    expect((await resumed.nextEvent())?.event).toBe('done');
    await resumed.ended;
  });

  it('sends every item and the progress for an id it cannot resume from', async () => {
    const { requestId } = await newUpload(2);
    for (const lastEventId of ['999999999', 'not-a-number']) {
      const client = await stream(requestId, { 'last-event-id': lastEventId });
      const events = [await client.nextEvent(), await client.nextEvent(), await client.nextEvent()];
      expect(events.map((event) => [event?.event, event?.json.status])).toEqual([
        ['item', 'queued'],
        ['item', 'queued'],
        ['progress', 'queued'],
      ]);
      await client.close();
    }
  });

  it('answers a finished request with one done event at once, and ends', async () => {
    const { requestId, items } = await newUpload(1);
    if (!items[0]) throw new Error('expected an item');
    expect(await apply(processedEvent(items[0]))).toBe('completed');
    for (const headers of [{}, { 'last-event-id': '1' }] as Record<string, string>[]) {
      const client = await stream(requestId, headers);
      await client.ended;
      const events = client.messages.filter((message) => message.kind === 'event');
      expect(events.map((message) => message.kind === 'event' && message.event)).toEqual(['done']);
    }
  });

  it('sends a heartbeat comment on an idle stream', async () => {
    const { requestId } = await newUpload(1);
    const client = await stream(requestId);
    expect((await client.nextEvent())?.event).toBe('progress');
    const heartbeat = await client.next();
    expect(heartbeat).toMatchObject({ kind: 'comment', text: 'heartbeat' });
    await client.close();
  });

  it('misses nothing committed while its database connection was away: it re-reads once reconnected', async () => {
    const { requestId, items } = await newUpload(2);
    if (!items[0]) throw new Error('expected an item');
    const client = await stream(requestId);
    expect((await client.nextEvent())?.event).toBe('progress');

    const databaseName = new URL(harness.databaseUrl).pathname.slice(1);
    const admin = await connectClient('postgres://postgres@127.0.0.1:5432/postgres');
    // A connection held from before, so the change can still be written while no new one is allowed.
    const writer = await harness.pool.connect();
    try {
      await admin.query(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = $2',
        [LISTENER_APPLICATION_NAME, databaseName],
      );
      await until(() => !replica.listener.connected() && !harness.listener.connected());
      const [item] = items;
      await applyImageEvent(
        { pool: { connect: async () => writer } as never, storage: harness.storage, publicBaseUrl: PUBLIC_BASE_URL },
        processedEvent(item),
      );
    } finally {
      await admin.query(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const item = await client.nextEvent();
    expect([item?.event, item?.json.status]).toEqual(['item', 'done']);
    expect((await client.nextEvent())?.json.processed).toBe(1);
    await client.close();
  });

  it('ends open streams at shutdown and refuses new ones with 503', async () => {
    const { requestId } = await newUpload(1);
    const other = await harness.startReplica();
    const client = await stream(requestId, {}, other.baseUrl);
    expect((await client.nextEvent())?.event).toBe('progress');
    await other.streams.close();
    await client.ended;
    const refused = await fetch(`${other.baseUrl}/api/uploads/${requestId}/events`);
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '1']);
    await refused.body?.cancel();
  });

  it('answers 404 for an unknown request and 400 for a malformed id, as problems', async () => {
    const unknown = await fetch(`${replica.baseUrl}/api/uploads/${crypto.randomUUID()}/events`);
    expect([unknown.status, unknown.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
    const malformed = await fetch(`${replica.baseUrl}/api/uploads/nope/events`);
    expect([malformed.status, malformed.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    await Promise.all([unknown.text(), malformed.text()]);
  });
});
