// The check every robustness test ends with: no service crashed, restarted or even reached its last-resort guard.
import { expect } from 'vitest';
import type { ServiceName, Stack } from './stack.ts';

/** Where each service's probes and /metrics answer (the gateway's on its admin port). */
export function adminUrls(stack: Stack): Record<ServiceName, string> {
  const { env } = stack;
  return {
    auth: env.AUTH_SERVICE_URL as string,
    product: env.PRODUCT_SERVICE_URL as string,
    upload: env.UPLOAD_SERVICE_URL as string,
    'image-worker': env.IMAGE_WORKER_URL as string,
    health: env.HEALTH_SERVICE_URL as string,
    web: `http://127.0.0.1:${env.WEB_APP_PORT}`,
    gateway: env.GATEWAY_ADMIN_URL as string,
  };
}

/** The process id of each service, to show later that none was replaced. */
export const processIds = (stack: Stack, services: ServiceName[]) =>
  Object.fromEntries(services.map((name) => [name, stack.process(name)?.child.pid]));

/**
 * Every service is the same process as at the start, alive, and its guard never ran:
 * `process_unexpected_errors_total` is 0 for both kinds and nothing of the kind was logged.
 */
export async function expectAllAlive(stack: Stack, pids: Record<string, number | undefined>) {
  const urls = adminUrls(stack);
  for (const name of Object.keys(pids) as ServiceName[]) {
    const child = stack.process(name)?.child;
    expect([name, child?.pid, child?.exitCode, child?.signalCode]).toEqual([name, pids[name], null, null]);
    expect((await fetch(`${urls[name]}/health/live`)).status, name).toBe(200);
    const text = await (await fetch(`${urls[name]}/metrics`)).text();
    const counted = text.split('\n').filter((line) => line.startsWith('process_unexpected_errors_total{'));
    expect(counted, name).toHaveLength(2);
    for (const line of counted) expect(line, name).toMatch(/ 0$/);
    expect(stack.process(name)?.output(), name).not.toMatch(/uncaught_exception|unhandled_rejection/);
  }
}
