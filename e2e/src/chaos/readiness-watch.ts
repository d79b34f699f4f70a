// Polls services' /health/ready all through a chaos run, so the test can tell that each one went 503
// while a dependency was away and came back to 200 after it returned.

export type Sample = { at: number; status: number };

export function watchReadiness(urls: Record<string, string>, intervalMs = 250) {
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(urls).map((name) => [name, []]));
  let running = true;
  const poll = async (name: string, url: string) => {
    while (running) {
      const started = Date.now();
      const status = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
        (response) => response.status,
        () => 0,
      );
      samples[name]?.push({ at: started, status });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  const loops = Object.entries(urls).map(([name, url]) => poll(name, url));
  return {
    /** Whether `name` answered anything but 200 at some point in [from, to]. */
    wentDown: (name: string, from: number, to: number) =>
      (samples[name] ?? []).some((sample) => sample.at >= from && sample.at <= to && sample.status !== 200),
    /** When `name` first answered 200 at or after `from`, or undefined. */
    upAgainAt: (name: string, from: number) =>
      (samples[name] ?? []).find((sample) => sample.at >= from && sample.status === 200)?.at,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
