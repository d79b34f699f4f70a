import { Counter, Histogram, type Registry } from 'prom-client';

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30];

/** The worker's own series, on the process registry that /metrics serves. */
export function createWorkerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    consumed: new Counter({ name: 'image_jobs_consumed_total', help: 'Image jobs received.', registers }),
    succeeded: new Counter({ name: 'image_jobs_succeeded_total', help: 'Images processed and stored.', registers }),
    failed: new Counter({
      name: 'image_jobs_failed_total',
      help: 'Items failed for good, by code and whether the cause was permanent.',
      labelNames: ['code', 'permanent'] as const,
      registers,
    }),
    retried: new Counter({
      name: 'image_jobs_retried_total',
      help: 'Jobs handed back for a later attempt after a transient failure, by code.',
      labelNames: ['code'] as const,
      registers,
    }),
    fetchSeconds: new Histogram({
      name: 'image_fetch_duration_seconds',
      help: 'Source download time.',
      buckets: SECONDS,
      registers,
    }),
    processSeconds: new Histogram({
      name: 'image_processing_duration_seconds',
      help: 'sharp processing time (decode, transform, encode, thumbnail).',
      labelNames: ['format'] as const,
      buckets: SECONDS,
      registers,
    }),
    inputBytes: new Counter({ name: 'image_input_bytes_total', help: 'Source bytes read.', registers }),
    outputBytes: new Counter({
      name: 'image_output_bytes_total',
      help: 'Output bytes stored (thumbnails excluded).',
      registers,
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
