import { EXCHANGES, QUEUE_BINDINGS, QUEUES } from '@ipp/contracts';
import type { Channel } from 'amqplib';
import { RETRY_DELAYS_MS, retryQueueName } from './retry-policy.ts';

/** Redeliveries after a consumer crash (no ack, no nack) before the broker dead-letters the message. */
const DELIVERY_LIMIT = 10;

/**
 * The durable exchanges and queues of the contracts' table, asserted on every (re)connection: quorum work
 * queues that dead-letter to `image.dlx`, and per work queue one delay queue per retry tier.
 */
export async function assertTopology(channel: Channel, retryDelaysMs: readonly number[] = RETRY_DELAYS_MS) {
  for (const exchange of Object.values(EXCHANGES)) await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(QUEUES.deadLetter, { durable: true });
  await channel.bindQueue(QUEUES.deadLetter, EXCHANGES.deadLetter, '#');
  for (const { queue, exchange, routingKeys } of QUEUE_BINDINGS) {
    await channel.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': DELIVERY_LIMIT,
        'x-dead-letter-exchange': EXCHANGES.deadLetter,
        'x-dead-letter-routing-key': queue,
      },
    });
    for (const key of routingKeys) await channel.bindQueue(queue, exchange, key);
    for (const delay of retryDelaysMs) {
      // Expired messages go back to the work queue through the default exchange. Quorum, dead-lettering at
      // least once: a classic queue dead-letters at most once, so a message expiring while its work queue is
      // unavailable (a broker restart) would be dropped.
      await channel.assertQueue(retryQueueName(queue, delay), {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-message-ttl': delay,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': queue,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
    }
  }
}
