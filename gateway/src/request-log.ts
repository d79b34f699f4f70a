import type { Logger } from '@ipp/platform';
import { pino } from 'pino';

/**
 * The per-request log line's own logger: same shape as the platform's (`service`, `level`, `time`,
 * `message`) on the same destination, minus the redaction pass — a request line is built from named
 * fields only and never carries headers, so there is nothing to redact and a hot path to keep cheap.
 */
export function createRequestLogger(options: { level: string; destination: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'gateway' },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/**
 * One buffered destination for both loggers: under load, lines leave in 4 KiB writes rather than one
 * syscall each; at most a second later when traffic is light.
 */
export function logDestination(flushEveryMs = 1000) {
  const destination = pino.destination({ sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Destroyed while shutting down: nothing left to write.
    }
  }, flushEveryMs).unref();
  return destination;
}
