import { availableParallelism } from 'node:os';
import { amqpEnv, baseEnv, port, positiveInt, storageEnv } from '@ipp/platform';
import { fetchEnv } from '@ipp/platform/ssrf-guard';

/** The worker's environment (ARCHITECTURE.md's names). */
export const workerEnv = {
  ...baseEnv,
  ...amqpEnv,
  ...storageEnv,
  ...fetchEnv,
  WORKER_PORT: port(5104),
  WORKER_CONCURRENCY: positiveInt(availableParallelism()),
  IMAGE_MAX_PIXELS: positiveInt(50_000_000),
};
