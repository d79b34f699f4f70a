import { trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';

export type { Logger };

/** Paths redacted wherever they appear in a log line. */
export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.secret',
];

/** JSON logs carrying `service`, and the active span's `trace_id` / `span_id` so a line leads to its trace. */
export function createLogger(options: { service: string; level?: string; destination?: NodeJS.WritableStream }) {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin() {
        const context = trace.getActiveSpan()?.spanContext();
        return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

type Destination = NodeJS.EventEmitter & { end: () => void; flushSync?: () => void; destroyed?: boolean };

/**
 * Resolves once every line logged so far has been written, for the moment before process.exit. pino's
 * `flush(cb)` is not enough: on an unbuffered async destination it calls back at once, with a write still in
 * flight that exit cuts off. Ending the destination makes SonicBoom write what is buffered or in flight, then
 * emit 'close' (stdout and stderr stay open). Bounded, for a destination that cannot be written any more.
 */
export function endLogs(logger: Logger, timeoutMs = 2000): Promise<void> {
  const destination = (logger as unknown as { [pino.symbols.streamSym]: Destination })[pino.symbols.streamSym];
  // Only SonicBoom (pino.destination) writes behind pino's back; other streams have nothing in flight.
  if (typeof destination.flushSync !== 'function' || destination.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    destination.once('close', done);
    destination.once('error', done);
    destination.end();
  });
}
