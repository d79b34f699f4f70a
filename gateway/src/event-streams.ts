/** The public paths that answer with a Server-Sent Events stream (held open, not bounded by the upstream timeout). */
const EVENT_STREAM = /^\/api\/uploads\/[^/]+\/events$/;

export const isEventStream = (path: string | undefined) => path !== undefined && EVENT_STREAM.test(path);

export type EventStreams = ReturnType<typeof createEventStreams>;

/**
 * The event streams this gateway holds open, by client: at most `maxPerClient` at once each (one more is
 * refused, 429), and all of them ended cleanly at shutdown — the client reconnects with Last-Event-ID — so
 * the server's close never waits on a stream.
 */
export function createEventStreams(options: { maxPerClient: number }) {
  const byClient = new Map<string, Set<() => void>>();
  let closing = false;
  return {
    /**
     * Counts a new stream of `client`, ended by `stop` at shutdown; its release, or undefined when the client
     * already holds its limit or the gateway is shutting down.
     */
    acquire(client: string, stop: () => void): (() => void) | undefined {
      const open = byClient.get(client) ?? new Set();
      if (closing || open.size >= options.maxPerClient) return undefined;
      open.add(stop);
      byClient.set(client, open);
      return () => {
        open.delete(stop);
        if (!open.size && byClient.get(client) === open) byClient.delete(client);
      };
    },
    closing: () => closing,
    /** Ends every open stream and refuses new ones. */
    close() {
      closing = true;
      for (const open of byClient.values()) for (const stop of open) stop();
    },
    count: () => [...byClient.values()].reduce((sum, open) => sum + open.size, 0),
  };
}
