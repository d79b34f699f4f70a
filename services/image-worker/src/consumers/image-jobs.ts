import { EXCHANGES, type ImageProcessJob, ImageProcessJobSchema, QUEUES, ROUTING_KEYS } from '@ipp/contracts';
import type { Logger } from '@ipp/platform';
import type { Amqp, Delivery } from '@ipp/platform/amqp';
import { type ObjectStorage, outputKeys } from '@ipp/platform/storage';
import { withSpan } from '@ipp/platform/telemetry';
import { failedEvent, processedEvent } from '../events.ts';
import { processImage } from '../process-image.ts';
import { ProcessingError, transient } from '../processing-error.ts';
import { createSlots } from '../processing-slots.ts';
import { readStoredUpload } from '../stored-source.ts';
import type { WorkerMetrics } from '../worker-metrics.ts';

export type JobHandlerDependencies = {
  download: (url: string) => Promise<Buffer>;
  storage: ObjectStorage;
  publish: (exchange: string, routingKey: string, message: { message_id: string; type: string }) => Promise<void>;
  metrics: WorkerMetrics;
  logger: Logger;
  /** The URL clients get for a stored key (the gateway's `/files/<key>`, or FILES_PUBLIC_BASE_URL's). */
  fileUrl: (key: string) => string;
  maxPixels: number;
  /** JPEG_OPTIMIZE_CODING: optimised Huffman tables for full-size JPEGs. */
  optimizeCoding: boolean;
  maxBytes: number;
  /** Images in sharp at once (WORKER_CONCURRENCY); jobs beyond it download while they wait. */
  concurrency: number;
};

/**
 * One job: fetch, process, store under keys derived from the item, publish `image.processed`. A
 * permanent failure publishes `image.failed` and is acked; a transient one is thrown back for a delayed
 * retry, except on the last attempt, which reports `image.failed` (permanent: false) instead.
 */
export function createJobHandler(dependencies: JobHandlerDependencies) {
  const { storage, metrics, fileUrl } = dependencies;
  const inSlot = createSlots(dependencies.concurrency);

  async function processJob(job: ImageProcessJob) {
    const attributes = { 'app.request_id': job.request_id, 'app.item_id': job.item_id };
    const stopFetch = metrics.fetchSeconds.startTimer();
    const input = await withSpan('image.fetch', { ...attributes, 'image.source': job.source.kind }, async (span) => {
      const bytes =
        job.source.kind === 'url'
          ? await dependencies.download(job.source.url)
          : await readStoredUpload(storage, job.source.key, dependencies.maxBytes);
      span.setAttribute('image.input_bytes', bytes.length);
      return bytes;
    });
    stopFetch();
    const result = await inSlot(() =>
      withSpan('image.process', { ...attributes, 'image.input_bytes': input.length }, async (span) => {
        const stopProcess = metrics.processSeconds.startTimer();
        const processed = await processImage(input, job.options, {
          maxPixels: dependencies.maxPixels,
          optimizeCoding: dependencies.optimizeCoding,
        });
        stopProcess({ format: processed.format });
        span.setAttributes({
          'image.format': processed.format,
          'image.width': processed.width,
          'image.height': processed.height,
          'image.output_bytes': processed.data.length,
          'image.encoding': processed.encoding,
        });
        return processed;
      }),
    );
    const keys = outputKeys(job.request_id, job.item_id, result.format);
    await storage.put(keys.output, result.data);
    await storage.put(keys.thumbnail, result.thumbnail);
    const event = processedEvent(
      job,
      {
        outputKey: keys.output,
        thumbnailKey: keys.thumbnail,
        width: result.width,
        height: result.height,
        format: result.format,
        inputBytes: input.length,
        outputBytes: result.data.length,
      },
      fileUrl,
    );
    await dependencies.publish(EXCHANGES.events, ROUTING_KEYS.processed, event);
    metrics.inputBytes.inc(input.length);
    metrics.outputBytes.inc(result.data.length);
  }

  return async (job: ImageProcessJob, delivery: Delivery) => {
    const log = dependencies.logger.child({
      request_id: job.request_id,
      item_id: job.item_id,
      attempt: delivery.attempt,
    });
    metrics.consumed.inc();
    try {
      await processJob(job);
      metrics.succeeded.inc();
      log.info('image processed');
    } catch (error) {
      const failure = asProcessingError(error);
      if (!failure.permanent && !delivery.finalAttempt) {
        metrics.retried.inc({ code: failure.code });
        throw failure;
      }
      log.warn({ code: failure.code, permanent: failure.permanent, err: error }, 'image failed');
      await dependencies.publish(EXCHANGES.events, ROUTING_KEYS.failed, failedEvent(job, failure, fileUrl));
      metrics.failed.inc({ code: failure.code, permanent: String(failure.permanent) });
    }
  };
}

/** Anything unexpected (a full disk, the broker gone while publishing) is worth another attempt. */
function asProcessingError(error: unknown): ProcessingError {
  if (error instanceof ProcessingError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return transient('internal_error', `processing failed: ${message}`, error);
}

/** Consumes `image.process` jobs from the workers' shared queue; results are published on the same connection. */
export function consumeImageJobs(
  amqp: Pick<Amqp, 'consume' | 'publish'>,
  dependencies: Omit<JobHandlerDependencies, 'publish'>,
) {
  amqp.consume(QUEUES.jobs, ImageProcessJobSchema, createJobHandler({ ...dependencies, publish: amqp.publish }));
}
