import type { UploadEvent } from '@ipp/contracts';
import type { Logger } from '@ipp/platform';
import { EVERY_CALLER } from './caller.ts';
import type { ChangeListener } from './change-listener.ts';
import type { Pool } from './database.ts';
import { type Changes, findChanges, findStatus, isFinal } from './status-repository.ts';

/** Above every version: a read that returns no items, only the request. */
const NO_ITEMS = Number.MAX_SAFE_INTEGER;

/** A Last-Event-ID this server can resume after exactly: a version it has reached. */
function resumableAfter(lastEventId: string | undefined, changes: Changes) {
  if (lastEventId === undefined || !/^\d{1,15}$/.test(lastEventId)) return undefined;
  const after = Number(lastEventId);
  return after <= changes.version ? after : undefined;
}

/** The events that take a client at `after` to the state read: changed items and the progress, in version order. */
function eventsAfter(changes: Changes, after: number): UploadEvent[] {
  const events: UploadEvent[] = changes.items.map(({ version, ...item }) => ({
    event: 'item',
    id: version,
    data: item,
  }));
  if (changes.summaryVersion > after) {
    const progress: UploadEvent = { event: 'progress', id: changes.summaryVersion, data: changes.summary };
    const before = events.findIndex((event) => event.id > changes.summaryVersion);
    events.splice(before === -1 ? events.length : before, 0, progress);
  }
  return events;
}

/**
 * Follows one request for one client (the SSE route's stream), sending what the contract promises:
 * without `lastEventId` the current progress, with one every change after it (or, for an id it cannot
 * resume from, every item and the progress), then each change as the change listener reports it, and
 * `done` once the request has finished (at once if it already has). Reads are serialised and coalesced:
 * a change reported during a read causes one more read. A read that fails (database away) is retried;
 * the listener's reconnect reports a change too, so nothing committed meanwhile is missed.
 */
export function followUpload(options: {
  pool: Pool;
  listener: ChangeListener;
  publicBaseUrl: string;
  logger: Logger;
  requestId: string;
  lastEventId: string | undefined;
  send: (event: UploadEvent) => Promise<void>;
  retryMs?: number;
}) {
  const { pool, publicBaseUrl, requestId, send, retryMs = 2_000 } = options;
  let cursor: number | undefined;
  let reading = false;
  let again = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  async function sendDone(version: number) {
    // The route checked the caller's ownership before the stream began.
    const status = await findStatus(pool, requestId, publicBaseUrl, EVERY_CALLER);
    if (status) await send({ event: 'done', id: version, data: status });
    stop();
  }

  /** The first read: what the client is owed before live changes. */
  async function catchUp() {
    const changes = await findChanges(pool, requestId, NO_ITEMS, publicBaseUrl);
    if (!changes) return stop();
    if (isFinal(changes.summary.status)) return sendDone(changes.summaryVersion);
    if (options.lastEventId === undefined) {
      await send({ event: 'progress', id: changes.version, data: changes.summary });
      cursor = changes.version;
      return;
    }
    const after = resumableAfter(options.lastEventId, changes);
    if (after !== undefined) return follow(after);
    const snapshot = await findChanges(pool, requestId, -1, publicBaseUrl);
    if (!snapshot) return stop();
    for (const { version, ...item } of snapshot.items) await send({ event: 'item', id: version, data: item });
    await send({ event: 'progress', id: snapshot.version, data: snapshot.summary });
    cursor = snapshot.version;
  }

  /** Everything after `after`; `done` when the request has finished. */
  async function follow(after: number) {
    const changes = await findChanges(pool, requestId, after, publicBaseUrl);
    if (!changes) return stop();
    const final = isFinal(changes.summary.status);
    for (const event of eventsAfter(changes, after)) {
      if (final && event.event === 'progress') continue;
      await send(event);
    }
    cursor = changes.version;
    if (final) await sendDone(changes.summaryVersion);
  }

  async function read() {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        await (cursor === undefined ? catchUp() : follow(cursor));
      } while (again && !stopped);
    } catch (error) {
      options.logger.warn({ err: error, request_id: requestId }, 'event stream read failed; retrying');
      clearTimeout(retry);
      retry = setTimeout(changed, retryMs);
    } finally {
      reading = false;
    }
  }

  function changed() {
    if (!stopped) void read();
  }

  function stop() {
    if (stopped) return;
    stopped = true;
    clearTimeout(retry);
    unsubscribe();
    finish();
  }

  // Subscribed before the first read, so a change committed during it is read again, never missed.
  const unsubscribe = options.listener.subscribe(requestId, changed);
  changed();
  return {
    /** Resolves when the feed has ended: `done` sent, or stopped (client gone, shutdown). */
    finished,
    stop,
  };
}
