import type { OpenAPIHono } from '@hono/zod-openapi';
import { getUploadEventsRoute } from '@ipp/contracts/routes';
import { type AppEnv, AppError, type Logger } from '@ipp/platform';
import { streamSSE } from 'hono/streaming';
import { callerOf } from '../caller.ts';
import type { ChangeListener } from '../change-listener.ts';
import type { Pool } from '../database.ts';
import { findSummary } from '../status-repository.ts';
import { followUpload } from '../upload-event-feed.ts';

export type EventStreams = ReturnType<typeof createEventStreams>;

/**
 * The open event streams of this process, so shutdown can end them cleanly (a client reconnects with
 * Last-Event-ID, to another replica) instead of the server waiting on them until its deadline.
 */
export function createEventStreams() {
  const open = new Set<() => void>();
  let closing = false;
  let allClosed: (() => void) | undefined;
  return {
    closing: () => closing,
    /** Registers a stream's `end`; returns its removal, called once the stream has ended. */
    add(end: () => void) {
      open.add(end);
      return () => {
        open.delete(end);
        if (!open.size) allClosed?.();
      };
    },
    /** Ends every open stream and refuses new ones; resolves once they have all ended. */
    close() {
      closing = true;
      const ended = new Promise<void>((resolve) => {
        allClosed = resolve;
      });
      if (!open.size) return Promise.resolve();
      for (const end of open) end();
      return ended;
    },
    count: () => open.size,
  };
}

/** `GET /api/uploads/{request_id}/events`: the request's changes as Server-Sent Events (upload-event-feed.ts). */
export function mountUploadEvents(
  api: OpenAPIHono<AppEnv>,
  options: {
    pool: Pool;
    publicBaseUrl: string;
    logger: Logger;
    listener: ChangeListener;
    streams: EventStreams;
    heartbeatMs: number;
  },
) {
  const { pool, publicBaseUrl, streams } = options;
  api.openapi(getUploadEventsRoute, async (c) => {
    const requestId = c.req.valid('param').request_id;
    if (streams.closing()) {
      throw new AppError('unavailable', 'This replica is shutting down; reconnect', {
        headers: { 'retry-after': '1' },
      });
    }
    // Answered before the stream starts, so an unknown request is a plain 404 (and an unreachable database a 503).
    // Another key's request is not found either (404, never 403).
    if (
      !(await findSummary(
        pool,
        requestId,
        publicBaseUrl,
        callerOf((name) => c.req.header(name)),
      ))
    ) {
      throw new AppError('not_found', `No upload request ${requestId}`);
    }
    // nginx and similar proxies pass the events on as they come instead of buffering them.
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      const feed = followUpload({
        pool,
        publicBaseUrl,
        logger: options.logger,
        listener: options.listener,
        requestId,
        lastEventId: c.req.header('last-event-id'),
        send: ({ event, id, data }) => stream.writeSSE({ event, id: String(id), data: JSON.stringify(data) }),
      });
      const heartbeat = setInterval(() => void stream.write(': heartbeat\n\n'), options.heartbeatMs);
      const remove = streams.add(feed.stop);
      stream.onAbort(feed.stop);
      await feed.finished;
      clearInterval(heartbeat);
      remove();
    });
  });
}
