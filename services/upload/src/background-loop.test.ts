import { createLogger } from '@ipp/platform';
import { describe, expect, it } from 'vitest';
import { createBackgroundLoop, type PassResult } from './background-loop.ts';

const logger = createLogger({ service: 'test', level: 'silent' });
const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

/** A loop whose passes answer from a script, counting them. */
function scripted(results: PassResult[]) {
  let passes = 0;
  const loop = createBackgroundLoop({
    name: 'test loop',
    logger,
    pollMs: 60_000,
    async pass() {
      const result = results[Math.min(passes, results.length - 1)] ?? 'idle';
      passes += 1;
      return result;
    },
  });
  return { loop, passes: () => passes };
}

describe('createBackgroundLoop', () => {
  it('runs passes back to back while they find more, then waits for the poll', async () => {
    const { loop, passes } = scripted(['more', 'more', 'idle']);
    loop.start();
    await tick();
    expect(passes()).toBe(3);
    await loop.stop();
  });

  it('runs again at once when woken while idle', async () => {
    const { loop, passes } = scripted(['idle']);
    loop.start();
    await tick();
    loop.wake();
    await tick();
    expect(passes()).toBe(2);
    await loop.stop();
  });

  it('after a failed or throwing pass, waits even when it was woken during that pass', async () => {
    for (const failure of ['failed' as const, new Error('broker away')]) {
      let passes = 0;
      const loop = createBackgroundLoop({
        name: 'test loop',
        logger,
        pollMs: 60_000,
        async pass() {
          passes += 1;
          loop.wake(); // work signalled while the broker is away: no retry in a hot loop
          if (failure instanceof Error) throw failure;
          return failure;
        },
      });
      loop.start();
      await tick();
      expect(passes).toBe(1);
      await loop.stop();
    }
  });

  it('stops after the pass in flight, without waiting out the poll', async () => {
    const { loop } = scripted(['idle']);
    loop.start();
    await tick();
    const stopped = Date.now();
    await loop.stop();
    expect(Date.now() - stopped).toBeLessThan(1000);
  });
});
