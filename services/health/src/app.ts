import { createHttpApp, type Logger, type Metrics } from '@ipp/platform';
import { mountMetrics } from '@ipp/platform/probes';
import type { createAggregator } from './aggregator.ts';
import { mountHealthRoutes } from './routes.ts';

/**
 * The aggregator's app: the public `/health*` routes (its own, so not the platform's probes) and the
 * platform's `/metrics`.
 */
export function createHealthApp(options: {
  logger: Logger;
  metrics: Metrics;
  aggregator: ReturnType<typeof createAggregator>;
  service: string;
  version: string;
  startedAt: number;
}) {
  const { logger, metrics, ...routes } = options;
  const app = createHttpApp({ logger, metrics });
  mountHealthRoutes(app, routes);
  mountMetrics(app, metrics);
  return app;
}
