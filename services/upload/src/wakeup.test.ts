import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWakeup } from './wakeup.ts';

const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await Promise.resolve();
  await Promise.resolve();
  return done;
};

describe('createWakeup', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pauses until the time is up, or until woken', async () => {
    const wakeup = createWakeup();
    const timed = wakeup.pause(1000);
    expect(await settled(timed)).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(await settled(timed)).toBe(true);

    const woken = wakeup.pause(1000);
    wakeup.wake();
    expect(await settled(woken)).toBe(true);
  });

  it('ends the next pause at once after a wake that came while nothing paused, once', async () => {
    const wakeup = createWakeup();
    wakeup.wake();
    expect(await settled(wakeup.pause(1000))).toBe(true);
    expect(await settled(wakeup.pause(1000))).toBe(false);
  });

  it('can ignore an earlier wake, as after a failed pass', async () => {
    const wakeup = createWakeup();
    wakeup.wake();
    const pause = wakeup.pause(1000, { honourPending: false });
    expect(await settled(pause)).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(await settled(pause)).toBe(true);
    expect(await settled(wakeup.pause(1000))).toBe(false);
  });
});
