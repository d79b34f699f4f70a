import { createMetrics } from '@ipp/platform';
import { Counter } from 'prom-client';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** The platform's HTTP metrics plus what only a gateway sees: refusals, upstream failures, fallbacks. */
export function createGatewayMetrics() {
  const metrics = createMetrics('gateway');
  const refusals = new Counter({
    name: 'gateway_rate_limit_refusals_total',
    help: 'Requests refused with 429, by route.',
    labelNames: ['route'] as const,
    registers: [metrics.registry],
  });
  const upstreamErrors = new Counter({
    name: 'gateway_upstream_errors_total',
    help: 'Upstream exchanges that failed, by upstream and kind (refused, timeout, reset).',
    labelNames: ['upstream', 'kind'] as const,
    registers: [metrics.registry],
  });
  const fallbacks = new Counter({
    name: 'gateway_rate_limit_fallback_total',
    help: 'Requests counted by the in-memory fallback because the shared rate-limit store failed.',
    registers: [metrics.registry],
  });
  const keyRefreshes = new Counter({
    name: 'gateway_api_key_refreshes_total',
    help: 'Polls of the auth service for API keys, by result (changed, unchanged, failed).',
    labelNames: ['result'] as const,
    registers: [metrics.registry],
  });
  return {
    ...metrics,
    keysRefreshed: (result: string) => keyRefreshes.inc({ result }),
    refused: (route: string) => refusals.inc({ route }),
    upstreamFailed: (upstream: string, kind: string) => upstreamErrors.inc({ upstream, kind }),
    fellBack: () => fallbacks.inc(),
  };
}
