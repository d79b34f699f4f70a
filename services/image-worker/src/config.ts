import { availableParallelism } from 'node:os';
import { amqpEnv, baseEnv, boolFlag, port, positiveInt, storageEnv } from '@ipp/platform';
import { fetchEnv } from '@ipp/platform/ssrf-guard';
import { z } from 'zod';

/** The worker's environment (ARCHITECTURE.md's names). */
export const workerEnv = {
  ...baseEnv,
  ...amqpEnv,
  ...storageEnv,
  ...fetchEnv,
  WORKER_PORT: port(5104),
  WORKER_CONCURRENCY: positiveInt(availableParallelism()),
  /** Jobs held at once; above WORKER_CONCURRENCY, the extra ones download while sharp is busy. */
  WORKER_PREFETCH: z.coerce.number().int().positive().optional(),
  IMAGE_MAX_PIXELS: positiveInt(50_000_000),
  /** Huffman tables optimised for each full-size JPEG: smaller files for more CPU (bench/results/pipeline.md). */
  JPEG_OPTIMIZE_CODING: boolFlag(true),
};
