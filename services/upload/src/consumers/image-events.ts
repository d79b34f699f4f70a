import { ImageFailedSchema, ImageProcessedSchema, QUEUES } from '@ipp/contracts';
import type { Logger } from '@ipp/platform';
import type { Amqp } from '@ipp/platform/amqp';
import type { ObjectStorage } from '@ipp/platform/storage';
import { z } from 'zod';
import { applyImageEvent, type EventOutcome } from '../apply-image-event.ts';
import type { Pool } from '../database.ts';

export const ImageEventSchema = z.discriminatedUnion('type', [ImageProcessedSchema, ImageFailedSchema]);

/** Consumes `image.processed` / `image.failed` from the upload service's own queue. */
export function consumeImageEvents(
  amqp: Pick<Amqp, 'consume'>,
  options: {
    pool: Pool;
    storage: ObjectStorage;
    publicBaseUrl: string;
    logger: Logger;
    prefetch?: number;
    onOutcome?: (type: string, outcome: EventOutcome) => void;
  },
) {
  amqp.consume(
    QUEUES.uploadEvents,
    ImageEventSchema,
    async (event) => {
      const outcome = await applyImageEvent(options, event);
      options.onOutcome?.(event.type, outcome);
      if (outcome === 'unknown_item') {
        options.logger.warn(
          { request_id: event.request_id, item_id: event.item_id },
          'event for an unknown item ignored',
        );
      }
    },
    { prefetch: options.prefetch ?? 8 },
  );
}
