/**
 * The pause of a polling loop that `wake()` cuts short. A wake that arrives while no pause is running
 * (the loop is busy) ends the next pause at once, so work signalled mid-pass is never left for a full poll.
 */
export function createWakeup() {
  let pending = false;
  let cut: (() => void) | undefined;
  return {
    wake() {
      pending = true;
      cut?.();
    },
    /** Waits up to `ms`; with `honourPending: false` a wake from before the pause does not skip it. */
    pause(ms: number, { honourPending = true } = {}): Promise<void> {
      if (pending && honourPending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const end = () => {
          clearTimeout(timer);
          cut = undefined;
          pending = false;
          resolve();
        };
        const timer = setTimeout(end, ms);
        cut = end;
      });
    },
  };
}
