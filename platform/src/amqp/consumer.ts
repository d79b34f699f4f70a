import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Publisher } from './publisher.ts';
import { ATTEMPT_HEADER, attemptOf, type RetryPolicy, retryQueueName } from './retry-policy.ts';

export type Delivery = {
  attempt: number;
  finalAttempt: boolean;
  redelivered: boolean;
  headers: Record<string, unknown>;
};
export type Handler<T> = (message: T, delivery: Delivery) => Promise<void>;

type Consumer = {
  queue: string;
  schema: z.ZodType;
  handler: Handler<unknown>;
  prefetch: number;
  channel?: Channel;
  tag?: string;
  /** Set while consuming is paused for an outage of the service's own dependency. */
  paused?: NodeJS.Timeout;
};

function parseBody(message: ConsumeMessage): unknown {
  try {
    return JSON.parse(message.content.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The process's consumers: each on a channel of its own with manual acks and bounded prefetch, validated
 * against its schema, settled by the retry policy, paused during an outage, drained on close.
 */
export function createConsumers(options: {
  logger: Logger;
  publisher: Publisher;
  policy: RetryPolicy;
  /**
   * Whether a handler's error means a dependency of the service itself is down (its database), not that
   * the message is bad. Such a message goes back through the shortest delay queue without using up an
   * attempt, and the consumer pauses for `outagePauseMs`, so an outage longer than every retry tier
   * dead-letters nothing. It should confirm the outage (a live probe), or one bad message loops forever.
   */
  isOutage?: (error: unknown) => boolean | Promise<boolean>;
  outagePauseMs: number;
}) {
  const { logger, publisher, policy, isOutage, outagePauseMs } = options;
  const consumers: Consumer[] = [];
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  async function start(model: ChannelModel, consumer: Consumer) {
    const channel = await model.createChannel();
    channel.on('error', (error) => logger.warn({ err: error, queue: consumer.queue }, 'amqp consumer channel error'));
    await channel.prefetch(consumer.prefetch);
    consumer.channel = channel;
    clearTimeout(consumer.paused);
    consumer.paused = undefined;
    await consumeFrom(consumer, channel);
  }

  async function consumeFrom(consumer: Consumer, channel: Channel) {
    const reply = await channel.consume(consumer.queue, (message) => {
      if (message) void deliver(consumer, channel, message);
    });
    // Closed, paused again or reconnected while the consumer was being set up: it must not run.
    if (closing || consumer.paused || consumer.channel !== channel) {
      await channel.cancel(reply.consumerTag).catch(() => undefined);
      return;
    }
    consumer.tag = reply.consumerTag;
  }

  /** Stops taking messages for a while; resumes on the same channel unless a reconnect replaced it. */
  function pause(consumer: Consumer, channel: Channel) {
    if (consumer.paused || consumer.channel !== channel || !consumer.tag) return;
    const tag = consumer.tag;
    consumer.tag = undefined;
    void channel.cancel(tag).catch(() => undefined);
    consumer.paused = setTimeout(() => {
      consumer.paused = undefined;
      if (closing || consumer.channel !== channel) return;
      consumeFrom(consumer, channel).catch((error: unknown) =>
        logger.warn({ err: error, queue: consumer.queue }, 'amqp consumer did not resume; it will on reconnect'),
      );
    }, outagePauseMs);
    consumer.paused.unref();
  }

  async function deliver(consumer: Consumer, channel: Channel, message: ConsumeMessage) {
    inFlight += 1;
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const attempt = attemptOf(headers);
    const log = logger.child({ queue: consumer.queue, message_id: message.properties.messageId, attempt });
    try {
      const parsed = consumer.schema.safeParse(parseBody(message));
      if (!parsed.success) {
        log.error({ issues: parsed.error.issues.slice(0, 5) }, 'invalid message dead-lettered');
        channel.nack(message, false, false);
        return;
      }
      try {
        await consumer.handler(parsed.data, {
          attempt,
          finalAttempt: policy.isFinalAttempt(attempt),
          redelivered: message.fields.redelivered,
          headers,
        });
        channel.ack(message);
      } catch (error) {
        const outage = (await Promise.resolve(isOutage?.(error)).catch(() => false)) === true;
        if (outage) {
          log.warn({ err: error, pause_ms: outagePauseMs }, 'a dependency is down; message kept, consuming paused');
          pause(consumer, channel);
        }
        await settleFailure(consumer, channel, message, attempt, outage, error, log);
      }
    } catch (error) {
      // The channel closed under us: the broker redelivers the unacked message.
      log.warn({ err: error }, 'delivery not settled; the broker will redeliver it');
    } finally {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    }
  }

  async function settleFailure(
    consumer: Consumer,
    channel: Channel,
    message: ConsumeMessage,
    attempt: number,
    outage: boolean,
    error: unknown,
    log: Logger,
  ) {
    const fate = policy.afterFailure(attempt, outage);
    if (fate.action === 'dead-letter') {
      log.error({ err: error }, 'message failed every attempt; dead-lettered');
      channel.nack(message, false, false);
      return;
    }
    if (fate.action === 'requeue' || !publisher.isReady()) {
      if (!outage) log.error({ err: error }, 'retry unavailable');
      channel.nack(message, false, true);
      return;
    }
    if (!outage) log.warn({ err: error, retry_in_ms: fate.delayMs }, 'message failed; retrying later');
    // The original is acked only once the broker has confirmed the copy in the delay queue: a failure in
    // between leaves it unacked, to be redelivered.
    const { properties } = message;
    await publisher.send('', retryQueueName(consumer.queue, fate.delayMs), message.content, {
      messageId: properties.messageId,
      type: properties.type,
      contentType: properties.contentType,
      headers: { ...properties.headers, [ATTEMPT_HEADER]: fate.attempt },
    });
    channel.ack(message);
  }

  return {
    add(consumer: Pick<Consumer, 'queue' | 'schema' | 'handler' | 'prefetch'>) {
      consumers.push({ ...consumer });
    },

    /** (Re)starts every consumer on the new connection. */
    async startAll(model: ChannelModel) {
      for (const consumer of consumers) await start(model, consumer);
    },

    /** Stops taking messages and waits (bounded) for the in-flight ones. */
    async drain(timeoutMs: number) {
      closing = true;
      for (const consumer of consumers) clearTimeout(consumer.paused);
      await Promise.all(
        consumers.map((consumer) =>
          consumer.tag ? consumer.channel?.cancel(consumer.tag).catch(() => undefined) : undefined,
        ),
      );
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => {
        idle = resolve;
        setTimeout(resolve, timeoutMs).unref();
      });
    },
  };
}
