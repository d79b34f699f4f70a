import { mountProbes } from '@ipp/platform';
import { Hono } from 'hono';
import type { GatewayMetrics } from './gateway-metrics.ts';
import type { KeyStore } from './key-store.ts';
import type { RateLimits } from './rate-limit.ts';

/**
 * The admin port's app: liveness, readiness (the rate-limit store, and the first snapshot of API keys; the
 * upstream services are the health aggregator's business) and Prometheus metrics. Never on the public port.
 */
export function createAdminApp(options: {
  version: string;
  metrics: GatewayMetrics;
  rateLimits: RateLimits;
  keyStore: KeyStore;
}) {
  const app = new Hono();
  mountProbes(app, {
    service: 'gateway',
    version: options.version,
    metrics: options.metrics,
    checks: { rate_limit_store: options.rateLimits.check, api_keys: options.keyStore.check },
  });
  return app;
}
