import {
  createLogger,
  createMetrics,
  exitOnStartupError,
  handleShutdown,
  isDatabaseDown,
  listen,
  mountProbes,
  serviceVersion,
} from '@ipp/platform';
import { createAmqp } from '@ipp/platform/amqp';
import { migrate } from '@ipp/platform/migrations';
import { installProcessGuard } from '@ipp/platform/process-guard';
import { checkStorageAtStart, createStorage, storageReadiness } from '@ipp/platform/storage';
import { createUploadApp } from './app.ts';
import { createBackgroundWork } from './background-work.ts';
import { createChangeListener } from './change-listener.ts';
import { loadUploadConfig } from './config.ts';
import { createPool } from './database.ts';
import { migrations } from './migrations/index.ts';
import { createProductClient } from './product-client.ts';
import { createEventStreams } from './routes/upload-events.ts';
import { createUploadMetrics } from './upload-metrics.ts';

const SERVICE = 'upload';

try {
  const config = loadUploadConfig();
  const version = serviceVersion();
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const metrics = createMetrics(SERVICE);
  installProcessGuard({ logger, registry: metrics.registry });

  await migrate({ databaseUrl: config.DATABASE_URL, schema: 'upload', migrations });
  const pool = createPool({ databaseUrl: config.DATABASE_URL, max: config.DATABASE_POOL_MAX, logger });
  const storage = createStorage(config);
  // Not fatal: the line names the setting at fault and readiness stays 503 until storage answers.
  void checkStorageAtStart(storage, config, logger);
  const uploadMetrics = createUploadMetrics(metrics, pool);
  const probeDatabase = () => pool.query('SELECT 1');

  // Not waiting for the broker: uploads are accepted into the outbox while it is away.
  // Events wait out a database outage rather than burn their retries and dead-letter.
  const amqp = createAmqp({
    url: config.AMQP_URL,
    logger,
    isOutage: (error) => isDatabaseDown(error, probeDatabase),
  });
  const work = createBackgroundWork({ config, pool, storage, logger, amqp, metrics: uploadMetrics });
  // One LISTEN connection per process carries every replica's changes to this one's event streams.
  const changes = createChangeListener({ databaseUrl: config.DATABASE_URL, logger });
  const streams = createEventStreams();
  changes.start();
  await amqp.connect({ wait: false });
  work.start();

  const app = createUploadApp({
    logger,
    metrics,
    pool,
    storage,
    fetchPolicy: config.FETCH_ALLOW_PRIVATE_NETWORKS,
    products: createProductClient({ baseUrl: config.PRODUCT_SERVICE_URL }),
    publicBaseUrl: config.PUBLIC_BASE_URL,
    filesDelivery: config.FILES_DELIVERY,
    filesUrlTtlS: config.FILES_URL_TTL_S,
    maxBytes: config.UPLOAD_MAX_BYTES,
    maxRows: config.CSV_MAX_ROWS,
    onAccepted: () => work.relay.wake(),
    events: { listener: changes, streams, heartbeatMs: config.SSE_HEARTBEAT_INTERVAL_MS },
  });
  mountProbes(app, {
    service: SERVICE,
    version,
    metrics,
    // Not the broker: uploads are accepted into the outbox while it is away (the aggregator reports it).
    checks: { database: probeDatabase, storage: storageReadiness(storage) },
  });

  const server = await listen({
    fetch: app.fetch,
    port: config.UPLOAD_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info({ port: server.port, version }, 'upload service listening');
  handleShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      // Open event streams end first (clients reconnect elsewhere with Last-Event-ID): the server waits on none.
      { name: 'event streams', close: () => streams.close() },
      { name: 'http', close: () => server.close(config.SHUTDOWN_TIMEOUT_MS) },
      ...work.closers,
      { name: 'rabbitmq', close: () => amqp.close(config.SHUTDOWN_TIMEOUT_MS) },
      { name: 'change listener', close: () => changes.stop() },
      { name: 'database', close: () => pool.end() },
    ],
  });
} catch (error) {
  exitOnStartupError(SERVICE, error);
}
