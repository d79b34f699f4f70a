/**
 * At most `size` tasks run at once; the others wait their turn in order. Lets the worker download the
 * next sources (prefetched beyond the slots) while every core is busy in sharp.
 */
export function createSlots(size: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async function run<T>(work: () => Promise<T>): Promise<T> {
    if (active < size) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, or give it back.
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
