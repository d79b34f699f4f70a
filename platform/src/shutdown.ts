import { endLogs, type Logger } from './logger.ts';
import { flushTelemetry } from './telemetry.ts';

export type Closer = { name: string; close: () => Promise<unknown> };

/**
 * On SIGTERM or SIGINT, runs the closers in order (servers first, pools last), flushes traces and exits 0; exits 1 when
 * one fails or the whole takes longer than the bound. A second signal exits at once. The last line ("stopped", or
 * why it exits early) is written out before the process exits.
 */
export function handleShutdown(options: { logger: Logger; timeoutMs: number; closers: Closer[] }) {
  const { logger, timeoutMs, closers } = options;
  let stopping = false;
  let exiting = false;
  const exit = (code: number, lastLine: () => void) => {
    if (exiting) return;
    exiting = true;
    lastLine();
    process.exitCode = code;
    void endLogs(logger).then(() => process.exit(code));
  };
  const stop = async (signal: string) => {
    if (stopping) return exit(1, () => logger.warn({ signal }, 'second signal: exiting now'));
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      exit(1, () => logger.error({ timeout_ms: timeoutMs }, 'shutdown took too long; exiting'));
    }, timeoutMs + 1000);
    deadline.unref();
    let code = 0;
    for (const closer of closers) {
      try {
        await closer.close();
      } catch (error) {
        code = 1;
        logger.error({ err: error, closer: closer.name }, 'close failed');
      }
    }
    // Spans still buffered by the batch processor would be lost to process.exit.
    await flushTelemetry().catch((error: unknown) => logger.warn({ err: error }, 'could not flush traces'));
    exit(code, () => logger.info('stopped'));
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Logs a startup failure (a bad config value, an unreachable database) and exits non-zero. */
export function exitOnStartupError(service: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${service}: failed to start: ${message}\n`);
  process.exit(1);
}
