import type { Logger } from '@ipp/platform';
import { createWakeup } from './wakeup.ts';

/**
 * What a pass found: `more` runs the next pass at once, `idle` waits for the poll or a wake, `failed` (the pass
 * logged why) waits for the poll or a wake that comes after the pass.
 */
export type PassResult = 'more' | 'idle' | 'failed';

/**
 * A loop of passes in the background (the outbox relay, the webhook dispatcher, the sweeps). A pass that
 * throws is logged; after it, as after `failed`, a wake signalled during the pass does not skip the wait, so a
 * broken dependency is never polled in a hot loop. `stop` ends the loop after the pass in flight.
 */
export function createBackgroundLoop(options: {
  /** Names the loop in the log line of a failed pass. */
  name: string;
  logger: Logger;
  pollMs: number;
  pass: () => Promise<PassResult>;
}) {
  const { name, logger, pollMs, pass } = options;
  const wakeup = createWakeup();
  let running = false;
  let loop: Promise<void> | undefined;

  async function run() {
    while (running) {
      let result: PassResult;
      try {
        result = await pass();
      } catch (error) {
        logger.error({ err: error }, `${name} pass failed; trying again after the poll`);
        result = 'failed';
      }
      if (result === 'more' || !running) continue;
      await wakeup.pause(pollMs, { honourPending: result === 'idle' });
    }
  }

  return {
    start() {
      running = true;
      loop = run();
    },
    /** Cuts the current wait short: work was signalled. */
    wake: wakeup.wake,
    async stop() {
      running = false;
      wakeup.wake();
      await loop;
    },
  };
}

/** A loop that runs `sweep` every `intervalMs` (the stalled-items and deletion sweeps): `start` and `stop`. */
export function createPeriodicSweep(options: {
  name: string;
  logger: Logger;
  intervalMs: number;
  sweep: () => Promise<unknown>;
}) {
  const { start, stop } = createBackgroundLoop({
    name: options.name,
    logger: options.logger,
    pollMs: options.intervalMs,
    async pass() {
      await options.sweep();
      return 'idle';
    },
  });
  return { start, stop };
}
