import { ImageProcessedSchema, QUEUES } from '@ipp/contracts';
import type { Logger } from '@ipp/platform';
import type { Amqp } from '@ipp/platform/amqp';
import type { MikroORM } from '@mikro-orm/postgresql';
import { attachProcessedImage } from '../products/attach-processed-image.ts';

/** Attaches every `image.processed` event's image to its product (queue `product.image-events`). */
export function consumeImageEvents(options: { amqp: Amqp; orm: MikroORM; logger: Logger }) {
  const { amqp, orm, logger } = options;
  amqp.consume(QUEUES.productEvents, ImageProcessedSchema, async (event) => {
    const outcome = await attachProcessedImage(orm.em.fork(), event);
    logger.info(
      { item_id: event.item_id, request_id: event.request_id, serial_number: event.product.serial_number, outcome },
      'processed image event handled',
    );
  });
}
