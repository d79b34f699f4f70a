import { QUEUES } from '@ipp/contracts';
import type { Logger } from '@ipp/platform';
import type { Amqp } from '@ipp/platform/amqp';
import type { ObjectStorage } from '@ipp/platform/storage';
import type { UploadConfig } from './config.ts';
import { consumeDeadJobs } from './consumers/dead-jobs.ts';
import { consumeImageEvents } from './consumers/image-events.ts';
import type { Pool } from './database.ts';
import { createDeletionSweep } from './deletion-sweep.ts';
import { createOutboxRelay } from './outbox-relay.ts';
import { createStalledItemsSweep } from './stalled-items.ts';
import type { createUploadMetrics } from './upload-metrics.ts';
import { createWebhookDispatcher } from './webhook-dispatcher.ts';

/**
 * Everything the upload service does besides answering HTTP: its consumers and its background loops (outbox
 * relay, webhooks, stalled-items and deletion sweeps), wired to its metrics and to each other: a request that
 * completes wakes the webhooks, an item sent again wakes the relay. `start` once the broker connection is
 * set up; `closers` stop the loops, in order, at shutdown.
 */
export function createBackgroundWork(options: {
  config: UploadConfig;
  pool: Pool;
  storage: ObjectStorage;
  logger: Logger;
  amqp: Amqp;
  metrics: ReturnType<typeof createUploadMetrics>;
}) {
  const { config, pool, storage, logger, amqp, metrics: uploadMetrics } = options;
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

  return {
    relay,
    start() {
      relay.start();
      webhooks.start();
      stalledItems.start();
      deletions.start();
    },
    closers: [
      { name: 'stalled items sweep', close: () => stalledItems.stop() },
      { name: 'deletion sweep', close: () => deletions.stop() },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'webhooks', close: () => webhooks.stop() },
    ],
  };
}
