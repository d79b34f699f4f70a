import { createHttpApp, type Logger, type Metrics, mountProbes, type ReadinessCheck } from '@ipp/platform';

/** The worker's only HTTP: the platform's probes (ready when the broker and storage answer) and `/metrics`. */
export function createWorkerApp(options: {
  logger: Logger;
  metrics: Metrics;
  service: string;
  version: string;
  checks: Record<string, ReadinessCheck>;
}) {
  const { logger, metrics, ...probes } = options;
  const app = createHttpApp({ logger, metrics });
  mountProbes(app, { ...probes, metrics });
  return app;
}
