import { EXCHANGES } from '@ipp/contracts';
import type { ChannelModel } from 'amqplib';
import type { z } from 'zod';
import { redactUrl } from '../database.ts';
import type { Logger } from '../logger.ts';
import { connectRecovering, type RecoveringConnection } from './connection.ts';
import { createConsumers, type Handler } from './consumer.ts';
import { createPublisher } from './publisher.ts';
import { createRetryPolicy } from './retry-policy.ts';
import { assertTopology } from './topology.ts';

export type { Delivery, Handler } from './consumer.ts';
export { RETRY_DELAYS_MS, retryQueueName } from './retry-policy.ts';
export { assertTopology } from './topology.ts';

export type Amqp = ReturnType<typeof createAmqp>;

/**
 * A process's messaging: one recovering connection that re-asserts the topology and re-establishes every
 * consumer on each reconnect, a validating publisher with confirms, and consumers settled by the retry policy.
 */
export function createAmqp(options: {
  url: string;
  logger: Logger;
  prefetch?: number;
  heartbeatS?: number;
  retryDelaysMs?: readonly number[];
  /** See `createConsumers`: an error that means the service's own dependency is down. */
  isOutage?: (error: unknown) => boolean | Promise<boolean>;
  outagePauseMs?: number;
}) {
  const { logger } = options;
  const policy = createRetryPolicy(options.retryDelaysMs);
  const publisher = createPublisher();
  const consumers = createConsumers({
    logger,
    publisher,
    policy,
    isOutage: options.isOutage,
    outagePauseMs: options.outagePauseMs ?? 5_000,
  });
  let connection: RecoveringConnection | undefined;
  let connected = false;
  let closing = false;

  async function setup(model: ChannelModel) {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error) => logger.warn({ err: error }, 'amqp publish channel error'));
    await assertTopology(channel, policy.retryDelaysMs);
    publisher.use(channel);
    await consumers.startAll(model);
    connected = true;
    logger.info({ url: redactUrl(options.url) }, 'amqp connected');
  }

  return {
    /** Connects; with `wait: false` returns at once and keeps trying in the background. */
    async connect({ wait = true }: { wait?: boolean } = {}) {
      connection = await connectRecovering({
        url: options.url,
        logger,
        heartbeatS: options.heartbeatS ?? 15,
        setup,
        onDisconnect: () => {
          connected = false;
          publisher.drop();
        },
        isClosing: () => closing,
      });
      if (wait) await connection.waitForConnect();
    },

    publish: publisher.publish,

    /** Consumes with manual acks; the handler resolving acks, throwing retries through the delay queues. */
    consume<S extends z.ZodType>(
      queue: string,
      schema: S,
      handler: Handler<z.infer<S>>,
      { prefetch = options.prefetch ?? 1 } = {},
    ) {
      consumers.add({ queue, schema, handler: handler as Handler<unknown>, prefetch });
    },

    isConnected: () => connected && publisher.isReady(),

    /** Readiness: a live round trip to the broker. */
    check: () => publisher.check(EXCHANGES.jobs),

    /** Message and consumer counts of a queue (on a throwaway channel: a missing queue closes it). */
    async queueStats(queue: string) {
      if (!connection || !connected) throw new Error('not connected to the message broker');
      const channel = await connection.createChannel();
      try {
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        return { messages: messageCount, consumers: consumerCount };
      } finally {
        await channel.close().catch(() => undefined);
      }
    },

    /** Stops taking messages, waits (bounded) for the in-flight ones, then closes. */
    async close(timeoutMs = 10_000) {
      closing = true;
      await consumers.drain(timeoutMs);
      await connection?.close().catch(() => undefined);
      connected = false;
    },
  };
}
