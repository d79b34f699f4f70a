import { HealthSummarySchema, ProductListSchema } from '@ipp/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './servers.ts';
import { runStartScript, SERVICE_NAMES } from './start-script.ts';

describe('npm start', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('runs every service behind the gateway with prefixed logs, and Ctrl-C stops them all cleanly', async () => {
    const script = await runStartScript('start');
    cleanups.push(script.close);

    await until(() => script.output().includes(`gateway on http://localhost:${script.ports.gateway}`), {
      timeoutMs: 60_000,
    });
    const list = ProductListSchema.parse(await (await fetch(`${script.gateway}/api/products`)).json());
    expect(list.total).toBe(0);
    const summary = await until(
      async () => {
        const response = await fetch(`${script.gateway}/health`);
        const body = HealthSummarySchema.parse(await response.json());
        return body.status !== 'down' ? body : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(['ok', 'degraded']).toContain(summary.status);
    // The gateway batches its request log (flushed within a second), so its lines may trail.
    const prefixed = (name: string) => new RegExp(`${name}\\s*\\|`).test(script.output());
    await until(() => SERVICE_NAMES.every(prefixed), { timeoutMs: 10_000 });

    script.child.kill('SIGINT');
    expect(await script.exited).toBe(0);
    await expect(fetch(`${script.gateway}/api/products`)).rejects.toThrow();
    // Each service's last line, written as it exits, reaches the script's output.
    for (const name of SERVICE_NAMES) {
      expect(script.output()).toMatch(new RegExp(`${name}\\s*\\|\\S* \\{.*"message":"stopped"`));
    }
  }, 120_000);
});
