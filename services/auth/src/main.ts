import {
  createLogger,
  createMetrics,
  createPool,
  exitOnStartupError,
  handleShutdown,
  listen,
  mountProbes,
  serviceVersion,
} from '@ipp/platform';
import { migrate } from '@ipp/platform/migrations';
import { installProcessGuard } from '@ipp/platform/process-guard';
import { createAuthApp } from './app.ts';
import { createAuthMetrics } from './auth-metrics.ts';
import { ensureBootstrapKey } from './bootstrap.ts';
import { loadAuthConfig } from './config.ts';
import { migrations } from './migrations/index.ts';

const SERVICE = 'auth';

try {
  const config = loadAuthConfig();
  const version = serviceVersion();
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const metrics = createMetrics(SERVICE);
  installProcessGuard({ logger, registry: metrics.registry });

  await migrate({ databaseUrl: config.DATABASE_URL, schema: 'auth', migrations });
  const pool = createPool({ databaseUrl: config.DATABASE_URL, max: config.DATABASE_POOL_MAX, logger });
  if (config.BOOTSTRAP_ADMIN_KEY) await ensureBootstrapKey(pool, config.BOOTSTRAP_ADMIN_KEY, logger);

  const app = createAuthApp({ logger, metrics, authMetrics: createAuthMetrics(metrics, pool), pool });
  mountProbes(app, { service: SERVICE, version, metrics, checks: { database: () => pool.query('SELECT 1') } });

  const server = await listen({
    fetch: app.fetch,
    port: config.AUTH_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info(
    { port: server.port, version, bootstrap_key: Boolean(config.BOOTSTRAP_ADMIN_KEY) },
    'auth service listening',
  );
  handleShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      { name: 'http', close: () => server.close(config.SHUTDOWN_TIMEOUT_MS) },
      { name: 'database', close: () => pool.end() },
    ],
  });
} catch (error) {
  exitOnStartupError(SERVICE, error);
}
