import { QUEUES } from '@ipp/contracts';
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
import { createChangeListener } from './change-listener.ts';
import { loadUploadConfig } from './config.ts';
import { consumeDeadJobs } from './consumers/dead-jobs.ts';
import { consumeImageEvents } from './consumers/image-events.ts';
import { createPool } from './database.ts';
import { createDeletionSweep } from './deletion-sweep.ts';
import { migrations } from './migrations/index.ts';
import { createOutboxRelay } from './outbox-relay.ts';
import { createProductClient } from './product-client.ts';
import { createEventStreams } from './routes/upload-events.ts';
import { createStalledItemsSweep } from './stalled-items.ts';
import { createUploadMetrics } from './upload-metrics.ts';
import { createWebhookDispatcher } from './webhook-dispatcher.ts';

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
  const relay = createOutboxRelay({
    pool,
    logger,
    publish: (exchange, routingKey, message, headers) =>
      amqp.publish(exchange, routingKey, message as { message_id: string }, { headers }),
    onPublished: (count) => uploadMetrics.jobsPublished.inc(count),
  });
  const webhooks = createWebhookDispatcher({
    pool,
    logger,
    secret: config.WEBHOOK_SECRET,
    policy: config.FETCH_ALLOW_PRIVATE_NETWORKS,
    timeoutMs: config.FETCH_TIMEOUT_MS,
    onOutcome: (outcome) => uploadMetrics.webhookDeliveries.inc({ outcome }),
  });
  consumeImageEvents(amqp, {
    pool,
    storage,
    logger,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    onOutcome: (type, outcome) => {
      uploadMetrics.eventsHandled.inc({ type, applied: String(outcome === 'applied' || outcome === 'completed') });
      if (outcome === 'completed') webhooks.wake();
    },
  });
  consumeDeadJobs(amqp, {
    pool,
    storage,
    logger,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    onOutcome: (outcome) => {
      if (outcome === 'completed') webhooks.wake();
    },
  });
  const stalledItems = createStalledItemsSweep({
    pool,
    storage,
    logger,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    jobsWaiting: async () => (await amqp.queueStats(QUEUES.jobs)).messages,
    stallTimeoutMs: config.ITEM_STALL_TIMEOUT_S * 1000,
    maxRepublishes: config.ITEM_MAX_REPUBLISHES,
    intervalMs: config.ITEM_STALL_SWEEP_INTERVAL_S * 1000,
    onRepublished: (count) => {
      uploadMetrics.itemsRepublished.inc(count);
      if (count) relay.wake();
    },
    onStalled: (outcome) => {
      if (outcome === 'applied' || outcome === 'completed') uploadMetrics.itemsStalled.inc();
      if (outcome === 'completed') webhooks.wake();
    },
  });
  // Always running: besides retention, it finishes deletions a crash or a storage outage cut short.
  const deletions = createDeletionSweep({ pool, storage, logger, retentionDays: config.UPLOAD_RETENTION_DAYS });
  // One LISTEN connection per process carries every replica's changes to this one's event streams.
  const changes = createChangeListener({ databaseUrl: config.DATABASE_URL, logger });
  const streams = createEventStreams();
  changes.start();
  await amqp.connect({ wait: false });
  relay.start();
  webhooks.start();
  stalledItems.start();
  deletions.start();

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
    onAccepted: () => relay.wake(),
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
      { name: 'stalled items sweep', close: () => stalledItems.stop() },
      { name: 'deletion sweep', close: () => deletions.stop() },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'webhooks', close: () => webhooks.stop() },
      { name: 'rabbitmq', close: () => amqp.close(config.SHUTDOWN_TIMEOUT_MS) },
      { name: 'change listener', close: () => changes.stop() },
      { name: 'database', close: () => pool.end() },
    ],
  });
} catch (error) {
  exitOnStartupError(SERVICE, error);
}
