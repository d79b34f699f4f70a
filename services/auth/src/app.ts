import { type AppEnv, createHttpApp, type Logger, type Metrics, type Pool } from '@ipp/platform';
import { createApiRoutes } from '@ipp/platform/api-routes';
import type { Hono } from 'hono';
import type { AuthMetrics } from './auth-metrics.ts';
import { mountCreateKey } from './routes/create-key.ts';
import { mountInternalKeys } from './routes/internal-keys.ts';
import { mountListKeys } from './routes/list-keys.ts';
import { mountRevokeKey } from './routes/revoke-key.ts';

/**
 * The keys API (reached through the gateway, which lets only the `admin` scope through) and the internal
 * snapshot the gateways verify keys from. Probes are mounted by main.
 */
export function createAuthApp(options: {
  logger: Logger;
  metrics: Metrics;
  authMetrics: AuthMetrics;
  pool: Pool;
}): Hono<AppEnv> {
  const { pool, authMetrics } = options;
  const app = createHttpApp({ logger: options.logger, metrics: options.metrics });
  const api = createApiRoutes();
  mountCreateKey(api, { pool, onCreated: () => authMetrics.keysCreated.inc() });
  mountListKeys(api, { pool });
  mountRevokeKey(api, { pool, onRevoked: () => authMetrics.keysRevoked.inc() });
  mountInternalKeys(api, {
    pool,
    onSnapshot: (changed) => authMetrics.snapshots.inc({ result: changed ? 'sent' : 'unchanged' }),
  });
  app.route('/', api);
  return app;
}
