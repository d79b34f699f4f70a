import { availableParallelism } from 'node:os';
import {
  createLogger,
  createMetrics,
  exitOnStartupError,
  handleShutdown,
  listen,
  loadConfig,
  serviceVersion,
} from '@ipp/platform';
import { createAmqp } from '@ipp/platform/amqp';
import { installProcessGuard } from '@ipp/platform/process-guard';
import { checkStorageAtStart, createStorage, publicFileUrl, storageReadiness } from '@ipp/platform/storage';
import { createWorkerApp } from './app.ts';
import { workerEnv } from './config.ts';
import { consumeImageJobs } from './consumers/image-jobs.ts';
import { createSourceFetcher } from './fetch-source.ts';
import { configureSharp } from './process-image.ts';
import { createWorkerMetrics } from './worker-metrics.ts';

const SERVICE = 'image-worker';

async function main() {
  const config = loadConfig(workerEnv);
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const metrics = createMetrics(SERVICE);
  installProcessGuard({ logger, registry: metrics.registry });
  configureSharp({ imagesInFlight: config.WORKER_CONCURRENCY, cores: availableParallelism() });

  const storage = createStorage(config);
  // Not fatal: readiness stays 503 until storage answers; a job that meets it away is retried.
  void checkStorageAtStart(storage, config, logger);
  storage.sweepIncomplete().then(
    (removed) => removed && logger.info({ removed }, 'removed partial writes left by a stopped worker'),
    (error) => logger.warn({ err: error }, 'could not sweep partial writes'),
  );
  const fetcher = createSourceFetcher({
    policy: config.FETCH_ALLOW_PRIVATE_NETWORKS,
    timeoutMs: config.FETCH_TIMEOUT_MS,
    maxBytes: config.FETCH_MAX_BYTES,
    maxRedirects: config.FETCH_MAX_REDIRECTS,
  });
  const amqp = createAmqp({
    url: config.AMQP_URL,
    logger,
    // Twice the sharp slots by default: the next sources download while every slot is busy (bench/results/pipeline.md).
    prefetch: config.WORKER_PREFETCH ?? config.WORKER_CONCURRENCY * 2,
  });
  consumeImageJobs(amqp, {
    download: fetcher.download,
    storage,
    metrics: createWorkerMetrics(metrics.registry),
    logger,
    fileUrl: (key) => publicFileUrl(config, key),
    maxPixels: config.IMAGE_MAX_PIXELS,
    optimizeCoding: config.JPEG_OPTIMIZE_CODING,
    maxBytes: config.FETCH_MAX_BYTES,
    concurrency: config.WORKER_CONCURRENCY,
  });
  await amqp.connect({ wait: false });

  const app = createWorkerApp({
    logger,
    metrics,
    service: SERVICE,
    version: serviceVersion(),
    checks: { rabbitmq: () => amqp.check(), storage: storageReadiness(storage) },
  });
  const server = await listen({
    fetch: app.fetch,
    port: config.WORKER_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info({ port: server.port, concurrency: config.WORKER_CONCURRENCY }, 'image worker started');

  handleShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      // Stops taking jobs and lets the in-flight ones finish within the shutdown bound (less a margin for
      // the closers after it); unfinished ones go back to the queue.
      { name: 'amqp', close: () => amqp.close(Math.max(1000, config.SHUTDOWN_TIMEOUT_MS - 2000)) },
      { name: 'fetcher', close: () => fetcher.close() },
      { name: 'http', close: () => server.close(1000) },
    ],
  });
}

main().catch((error) => exitOnStartupError(SERVICE, error));
