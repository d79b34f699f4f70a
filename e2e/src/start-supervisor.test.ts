import { ProductListSchema } from '@ipp/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './servers.ts';
import { listenerPid, runStartScript, SERVICE_NAMES, type ServiceName } from './start-script.ts';

/** Each service's pid, from the process listening on its port. */
async function pidsOf(ports: Record<ServiceName, number>) {
  const pids = await Promise.all(SERVICE_NAMES.map((name) => listenerPid(ports[name])));
  return Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, pids[index]])) as Record<
    ServiceName,
    number | undefined
  >;
}

describe('npm start as a supervisor', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('restarts a service that was killed, alone, and Ctrl-C still stops everything with exit 0', async () => {
    const script = await runStartScript('supervisor_kill', { START_RESTART_DELAY_MS: '200' });
    cleanups.push(script.close);
    await until(() => script.output().includes(`gateway on http://localhost:${script.ports.gateway}`), {
      timeoutMs: 60_000,
    });
    const before = await pidsOf(script.ports);
    for (const name of SERVICE_NAMES) expect(before[name], name).toBeGreaterThan(0);

    process.kill(before.product as number, 'SIGKILL'); // found above

    await until(() => /product exited unexpectedly \(signal SIGKILL\); restarting it in 0.2 s/.test(script.output()), {
      timeoutMs: 10_000,
    });
    const restarted = await until(
      async () => {
        const pid = await listenerPid(script.ports.product);
        return pid !== undefined && pid !== before.product ? pid : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await until(async () => (await fetch(`${script.gateway}/health/ready`)).ok, { timeoutMs: 30_000, intervalMs: 200 });
    const list = ProductListSchema.parse(await (await fetch(`${script.gateway}/api/products`)).json());
    expect(list.total).toBe(0);
    expect(await pidsOf(script.ports)).toEqual({ ...before, product: restarted });
    expect(script.output()).not.toMatch(/(upload|image-worker|health|gateway) exited/);

    script.child.kill('SIGINT');
    expect(await script.exited).toBe(0);
    await expect(fetch(`${script.gateway}/api/products`)).rejects.toThrow();
  }, 120_000);

  it('gives up on a service that keeps crashing at start, and the others keep serving', async () => {
    // Only the image worker reads WORKER_CONCURRENCY; it refuses to start with this value.
    const script = await runStartScript('supervisor_crash', {
      WORKER_CONCURRENCY: 'many',
      START_RESTART_DELAY_MS: '100',
    });
    cleanups.push(script.close);

    await until(
      () =>
        script
          .output()
          .includes(
            'image-worker exited (exit code 1) within 10 s of starting 5 times in a row; giving up on it. The other services keep running',
          ),
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const output = script.output();
    expect(output.match(/image-worker exited unexpectedly \(exit code 1\); restarting it in/g)).toHaveLength(4);
    for (const delay of ['0.1', '0.2', '0.4', '0.8']) expect(output).toContain(`restarting it in ${delay} s`);
    // The worker's own reason is shown, prefixed with its name.
    expect(output).toMatch(/image-worker\s*\|\S* image-worker: failed to start/);
    expect(output).toMatch(/image-worker\s*\|\S*\s+WORKER_CONCURRENCY: Invalid input/);

    const list = await until(
      async () => {
        const response = await fetch(`${script.gateway}/api/products`).catch(() => undefined);
        return response?.ok ? ProductListSchema.parse(await response.json()) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(list.total).toBe(0);
    const pids = await pidsOf(script.ports);
    for (const name of ['product', 'upload', 'health', 'gateway'] as const) expect(pids[name], name).toBeGreaterThan(0);
    expect(pids['image-worker']).toBeUndefined();
    expect(script.child.exitCode).toBeNull();
    expect(output).not.toMatch(/(product|upload|health|gateway) exited/);

    // Stopped by Ctrl-C only; 1 since a service was given up on.
    script.child.kill('SIGINT');
    expect(await script.exited).toBe(1);
  }, 150_000);
});
