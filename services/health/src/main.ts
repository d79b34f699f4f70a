import { createLogger, createMetrics, exitOnStartupError, handleShutdown, listen, serviceVersion } from '@ipp/platform';
import { installProcessGuard } from '@ipp/platform/process-guard';
import { createAggregator } from './aggregator.ts';
import { createHealthApp } from './app.ts';
import { createDatabaseCheck } from './checks/database.ts';
import { createBrokerCheck } from './checks/rabbitmq.ts';
import { createSystemCheck } from './checks/system.ts';
import { loadHealthConfig } from './config.ts';
import { createHealthMetrics } from './metrics.ts';

const SERVICE = 'health';
const startedAt = performance.now();

try {
  const config = loadHealthConfig();
  const version = serviceVersion();
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const metrics = createMetrics(SERVICE);
  installProcessGuard({ logger, registry: metrics.registry });
  const timeoutMs = config.HEALTH_CHECK_TIMEOUT_MS;
  const onError = (error: Error) => logger.warn({ err: error }, 'dependency connection error');

  const database = createDatabaseCheck({ url: config.DATABASE_URL, timeoutMs, onError });
  const broker = createBrokerCheck({ url: config.AMQP_URL, timeoutMs, onError });
  const aggregator = createAggregator({
    database,
    broker,
    system: createSystemCheck({
      storageDir: config.STORAGE_DIR,
      diskThresholdPercent: config.HEALTH_DISK_THRESHOLD_PERCENT,
    }),
    services: {
      gateway: config.GATEWAY_ADMIN_URL,
      product: config.PRODUCT_SERVICE_URL,
      upload: config.UPLOAD_SERVICE_URL,
      image_worker: config.IMAGE_WORKER_URL,
      ...(config.WEB_APP_URL ? { web: config.WEB_APP_URL } : {}),
      ...(config.AUTH_SERVICE_URL ? { auth: config.AUTH_SERVICE_URL } : {}),
    },
    timeoutMs,
    cacheMs: config.HEALTH_CACHE_MS,
    backlogThreshold: config.HEALTH_BACKLOG_THRESHOLD,
    onSnapshot: createHealthMetrics(metrics),
  });

  const app = createHealthApp({ logger, metrics, aggregator, service: SERVICE, version, startedAt });

  const server = await listen({
    fetch: app.fetch,
    port: config.HEALTH_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info({ port: server.port, version }, 'health aggregator listening');
  handleShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      { name: 'http', close: () => server.close(config.SHUTDOWN_TIMEOUT_MS) },
      { name: 'rabbitmq', close: () => broker.close() },
      { name: 'database', close: () => database.close() },
    ],
  });
} catch (error) {
  exitOnStartupError(SERVICE, error);
}
