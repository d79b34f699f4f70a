import { QUEUES, UploadDeletedSchema } from '@ipp/contracts';
import type { Logger } from '@ipp/platform';
import type { Amqp } from '@ipp/platform/amqp';
import type { MikroORM } from '@mikro-orm/postgresql';
import { dropRequestImages } from '../products/drop-request-images.ts';

/** Drops the images of every deleted upload request from its products (queue `product.upload-events`). */
export function consumeUploadEvents(options: { amqp: Amqp; orm: MikroORM; logger: Logger }) {
  const { amqp, orm, logger } = options;
  amqp.consume(QUEUES.productUploadEvents, UploadDeletedSchema, async (event) => {
    const dropped = await dropRequestImages(orm.em.fork(), event.request_id);
    logger.info({ request_id: event.request_id, dropped }, 'deleted upload request: its images dropped');
  });
}
