import { ImageProcessJobSchema, QUEUES } from '@ipp/contracts';
import type { Logger } from '@ipp/platform';
import type { Amqp } from '@ipp/platform/amqp';
import type { ObjectStorage } from '@ipp/platform/storage';
import { applyImageEvent, type EventOutcome, failureOf } from '../apply-image-event.ts';
import type { Pool } from '../database.ts';

/**
 * Fails the item of a job the broker dead-lettered (it crashed workers or failed every attempt), so the
 * request still finishes; the job itself stays in the dead-letter queue for inspection.
 */
export function consumeDeadJobs(
  amqp: Pick<Amqp, 'consume'>,
  options: {
    pool: Pool;
    storage: ObjectStorage;
    publicBaseUrl: string;
    logger: Logger;
    onOutcome?: (outcome: EventOutcome) => void;
  },
) {
  amqp.consume(QUEUES.uploadDeadJobs, ImageProcessJobSchema, async (job) => {
    const failed = failureOf(
      {
        message_id: job.message_id,
        request_id: job.request_id,
        item_id: job.item_id,
        product: { id: job.product.id, serial_number: job.product.serial_number },
        input_url: job.source.kind === 'url' ? job.source.url : job.source.key,
      },
      'dead_lettered',
      'processing failed on every attempt; the job is kept in the dead-letter queue',
    );
    const outcome = await applyImageEvent(options, failed);
    options.logger.warn(
      { request_id: job.request_id, item_id: job.item_id, outcome },
      'dead-lettered job failed its item',
    );
    options.onOutcome?.(outcome);
  });
}
