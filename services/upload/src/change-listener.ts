import { connectClient, type Logger } from '@ipp/platform';
import type pg from 'pg';

/** The channel the requests' version trigger notifies, with the request id as payload. */
export const CHANGE_CHANNEL = 'upload_request_changed';

export const LISTENER_APPLICATION_NAME = 'upload change listener';

export type ChangeListener = ReturnType<typeof createChangeListener>;

/**
 * One LISTEN connection per process, telling the local subscribers of a request that it changed, whichever
 * replica changed it (decision 0020). When the connection is lost (a database restart, a network fault, a
 * ping that does not come back) it reconnects with backoff, and then tells every subscriber, since
 * notifications sent while it was away are gone: each re-reads what changed after its last event, so none
 * misses a change. It never throws: while the database is away, subscribers simply hear nothing.
 */
export function createChangeListener(options: {
  databaseUrl: string;
  logger: Logger;
  /** A ping this often on the connection, so a peer that went silent is noticed without a notification. */
  pingMs?: number;
  retryMs?: number;
  maxRetryMs?: number;
}) {
  const { databaseUrl, logger, pingMs = 30_000, retryMs = 500, maxRetryMs = 5_000 } = options;
  // Named, so an operator finds it in pg_stat_activity (and a test can terminate it).
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', LISTENER_APPLICATION_NAME);
  const subscribers = new Map<string, Set<() => void>>();
  let client: pg.Client | undefined;
  let stopped = false;
  let connecting: Promise<void> | undefined;
  let ping: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let wakeRetry: (() => void) | undefined;
  let connections = 0;

  const tell = (requestId: string) => {
    for (const changed of subscribers.get(requestId) ?? []) changed();
  };
  const tellAll = () => {
    for (const requestId of subscribers.keys()) tell(requestId);
  };

  function lost(which: pg.Client, error?: Error) {
    if (client !== which) return;
    client = undefined;
    clearInterval(ping);
    which.removeAllListeners('notification');
    which.end().catch(() => undefined);
    if (stopped) return;
    logger.warn({ err: error }, 'change listener lost its database connection; reconnecting');
    connecting ??= connect();
  }

  async function connect(): Promise<void> {
    for (let attempt = 0; !stopped; attempt += 1) {
      let next: pg.Client | undefined;
      try {
        next = await connectClient(url.toString(), (error) => next && lost(next, error));
        const connected = next;
        connected.on('notification', (message) => message.payload && tell(message.payload));
        connected.on('end', () => lost(connected));
        await connected.query(`LISTEN ${CHANGE_CHANNEL}`);
        if (stopped) {
          await connected.end();
          break;
        }
        client = connected;
        ping = setInterval(() => {
          connected.query('SELECT 1').catch((error: Error) => lost(connected, error));
        }, pingMs);
        ping.unref();
        connections += 1;
        if (connections > 1) logger.info('change listener reconnected; subscribers re-read their requests');
        connecting = undefined;
        // Anything committed while no one listened: every subscriber re-reads.
        tellAll();
        return;
      } catch (error) {
        await next?.end().catch(() => undefined);
        if (attempt === 0) logger.warn({ err: error }, 'change listener cannot reach the database; retrying');
        await new Promise<void>((resolve) => {
          wakeRetry = resolve;
          retry = setTimeout(resolve, Math.min(maxRetryMs, retryMs * 2 ** attempt));
        });
      }
    }
    connecting = undefined;
  }

  return {
    /** Connects in the background: the service serves meanwhile. */
    start() {
      connecting ??= connect();
    },
    /** Calls `changed` whenever `requestId` may have changed; returns the unsubscribe. */
    subscribe(requestId: string, changed: () => void) {
      const set = subscribers.get(requestId) ?? new Set();
      set.add(changed);
      subscribers.set(requestId, set);
      return () => {
        set.delete(changed);
        if (!set.size && subscribers.get(requestId) === set) subscribers.delete(requestId);
      };
    },
    /** Whether the LISTEN connection is up (for tests and logs). */
    connected: () => client !== undefined,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      wakeRetry?.();
      clearInterval(ping);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
      await connecting;
    },
  };
}
