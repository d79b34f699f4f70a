import { Counter, type Registry } from 'prom-client';
import { endLogs, type Logger } from './logger.ts';

export const UNEXPECTED_ERRORS_METRIC = 'process_unexpected_errors_total';

const KINDS = { uncaughtException: 'uncaught_exception', unhandledRejection: 'unhandled_rejection' } as const;

/**
 * The last word of a process that hit an error nothing handled: it is logged and counted, then the process
 * exits 1, since its state is unknown and the supervisor restarts it. Not what keeps a service up: every
 * request's and stream's errors are handled where they happen, and tests assert this guard is never reached.
 */
export function installProcessGuard(options: {
  logger: Logger;
  registry: Registry;
  /** Injected by tests; the real process and process.exit otherwise. */
  target?: NodeJS.EventEmitter;
  exit?: (code: number) => void;
}) {
  const { logger, target = process } = options;
  const exit = options.exit ?? exitAfterLogs(logger);
  const counter = new Counter({
    name: UNEXPECTED_ERRORS_METRIC,
    help: 'Errors nothing handled (uncaught exceptions, unhandled rejections), each followed by an exit, by kind.',
    labelNames: ['kind'] as const,
    registers: [options.registry],
  });
  for (const [event, kind] of Object.entries(KINDS)) {
    // Present at zero, so a scrape (or a test) can tell "none" from "not measured".
    counter.inc({ kind }, 0);
    target.on(event, (error: unknown) => {
      counter.inc({ kind });
      logger.fatal({ err: error, kind }, `${kind.replace('_', ' ')}: exiting`);
      exit(1);
    });
  }
}

/** Exits once the fatal line is written (endLogs is bounded), as shutdown does. */
function exitAfterLogs(logger: Logger) {
  let exiting = false;
  return (code: number) => {
    if (exiting) return;
    exiting = true;
    process.exitCode = code;
    void endLogs(logger).then(() => process.exit(code));
  };
}
