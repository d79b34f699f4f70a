import { EXCHANGES, QUEUES, ROUTING_KEYS } from '@ipp/contracts';
import amqplib, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import { redactUrl } from './database.ts';
import type { Logger } from './logger.ts';

/** A failure worth retrying later (timeout, connection reset, 5xx). Other errors retry the same way. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** Delays of the tiered retry queues; a message is tried once plus once per tier, then dead-lettered. */
export const RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000];
/** Redeliveries after a consumer crash (no ack, no nack) before the broker dead-letters the message. */
const DELIVERY_LIMIT = 10;
const ATTEMPT_HEADER = 'x-attempt';

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
  handler: Handler<any>;
  prefetch: number;
  channel?: Channel;
  tag?: string;
  /** Set while consuming is paused for an outage of the service's own dependency. */
  paused?: NodeJS.Timeout;
};

export function retryQueueName(queue: string, delayMs: number) {
  return `${queue}.retry.${delayMs}`;
}

/** Durable exchanges and queues of contracts/messages.ts, asserted on every (re)connection. */
export async function assertTopology(channel: Channel, retryDelaysMs: readonly number[] = RETRY_DELAYS_MS) {
  await channel.assertExchange(EXCHANGES.jobs, 'topic', { durable: true });
  await channel.assertExchange(EXCHANGES.events, 'topic', { durable: true });
  await channel.assertExchange(EXCHANGES.deadLetter, 'topic', { durable: true });
  await channel.assertQueue(QUEUES.deadLetter, { durable: true });
  await channel.bindQueue(QUEUES.deadLetter, EXCHANGES.deadLetter, '#');
  const bindings: Array<[string, string, string[]]> = [
    [QUEUES.jobs, EXCHANGES.jobs, [ROUTING_KEYS.process]],
    [QUEUES.uploadEvents, EXCHANGES.events, [ROUTING_KEYS.processed, ROUTING_KEYS.failed]],
    [QUEUES.productEvents, EXCHANGES.events, [ROUTING_KEYS.processed]],
    // A dead-lettered job keeps its queue's name as routing key; a copy stays in the dead-letter queue.
    [QUEUES.uploadDeadJobs, EXCHANGES.deadLetter, [QUEUES.jobs]],
  ];
  for (const [queue, exchange, keys] of bindings) {
    await channel.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': DELIVERY_LIMIT,
        'x-dead-letter-exchange': EXCHANGES.deadLetter,
        'x-dead-letter-routing-key': queue,
      },
    });
    for (const key of keys) await channel.bindQueue(queue, exchange, key);
    for (const delay of retryDelaysMs) {
      // Expired messages go back to the work queue through the default exchange.
      await channel.assertQueue(retryQueueName(queue, delay), {
        durable: true,
        arguments: { 'x-message-ttl': delay, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
      });
    }
  }
}

export type Amqp = ReturnType<typeof createAmqp>;

/**
 * One broker connection per process: reconnects by itself with backoff, re-asserts the topology and
 * re-establishes every consumer; publishes persistent messages and resolves on the broker's confirm.
 */
export function createAmqp(options: {
  url: string;
  logger: Logger;
  prefetch?: number;
  heartbeatS?: number;
  retryDelaysMs?: readonly number[];
  /**
   * Whether a handler's error means a dependency of the service itself is down (its database), not that
   * the message is bad. Such a message goes back through the shortest delay queue without using up an
   * attempt, and the consumer pauses for `outagePauseMs`, so an outage longer than every retry tier
   * dead-letters nothing. It should confirm the outage (a live probe), or one bad message loops forever.
   */
  isOutage?: (error: unknown) => boolean | Promise<boolean>;
  outagePauseMs?: number;
}) {
  const { logger, isOutage, outagePauseMs = 5_000 } = options;
  const retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const maxAttempts = retryDelaysMs.length + 1;
  const consumers: Consumer[] = [];
  let connection: Awaited<ReturnType<typeof connectRecovering>> | undefined;
  let publisher: ConfirmChannel | undefined;
  let connected = false;
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  function connectRecovering() {
    const url = new URL(options.url);
    url.searchParams.set('heartbeat', String(options.heartbeatS ?? 15));
    return amqplib.connect(url.toString(), {
      recovery: { initialDelay: 200, maxDelay: 5_000, setup, waitForConnect: false },
      clientProperties: { connection_name: logger.bindings().service ?? 'ipp' },
    });
  }

  async function setup(model: ChannelModel) {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error) => logger.warn({ err: error }, 'amqp publish channel error'));
    await assertTopology(channel, retryDelaysMs);
    publisher = channel;
    channel.once('close', () => {
      if (publisher === channel) publisher = undefined;
    });
    for (const consumer of consumers) await startConsumer(model, consumer);
    connected = true;
    logger.info({ url: redactUrl(options.url) }, 'amqp connected');
  }

  async function startConsumer(model: ChannelModel, consumer: Consumer) {
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
    const attempt = Number(headers[ATTEMPT_HEADER] ?? 1) || 1;
    const log = logger.child({ queue: consumer.queue, message_id: message.properties.messageId, attempt });
    try {
      let body: unknown;
      try {
        body = JSON.parse(message.content.toString('utf8'));
      } catch {
        body = undefined;
      }
      const parsed = consumer.schema.safeParse(body);
      if (!parsed.success) {
        log.error(
          { issues: parsed.success ? undefined : parsed.error.issues.slice(0, 5) },
          'invalid message dead-lettered',
        );
        channel.nack(message, false, false);
        return;
      }
      try {
        await consumer.handler(parsed.data, {
          attempt,
          finalAttempt: attempt >= maxAttempts,
          redelivered: message.fields.redelivered,
          headers,
        });
        channel.ack(message);
      } catch (error) {
        const outage = await Promise.resolve(isOutage?.(error)).catch(() => false);
        if (outage) await retryAfterOutage(consumer, channel, message, attempt, error, log);
        else await retryOrDeadLetter(consumer, channel, message, attempt, error, log);
      }
    } catch (error) {
      // The channel closed under us: the broker redelivers the unacked message.
      log.warn({ err: error }, 'delivery not settled; the broker will redeliver it');
    } finally {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    }
  }

  async function retryAfterOutage(
    consumer: Consumer,
    channel: Channel,
    message: ConsumeMessage,
    attempt: number,
    error: unknown,
    log: Logger,
  ) {
    log.warn({ err: error, pause_ms: outagePauseMs }, 'a dependency is down; message kept, consuming paused');
    pause(consumer, channel);
    const delay = retryDelaysMs[0];
    if (delay === undefined || !publisher) {
      channel.nack(message, false, true);
      return;
    }
    await requeueAfter(consumer, channel, message, delay, attempt);
  }

  /**
   * Moves a message to the delay queue of `delayMs`, to come back as attempt `attempt`. The original is
   * acked only once the broker has confirmed the copy: a failure in between leaves it unacked, to be redelivered.
   */
  async function requeueAfter(
    consumer: Consumer,
    channel: Channel,
    message: ConsumeMessage,
    delayMs: number,
    attempt: number,
  ) {
    const { properties } = message;
    await publishRaw('', retryQueueName(consumer.queue, delayMs), message.content, {
      messageId: properties.messageId,
      type: properties.type,
      contentType: properties.contentType,
      headers: { ...properties.headers, [ATTEMPT_HEADER]: attempt },
    });
    channel.ack(message);
  }

  async function retryOrDeadLetter(
    consumer: Consumer,
    channel: Channel,
    message: ConsumeMessage,
    attempt: number,
    error: unknown,
    log: Logger,
  ) {
    const delay = retryDelaysMs[attempt - 1];
    if (delay === undefined || !publisher) {
      log.error(
        { err: error },
        delay === undefined ? 'message failed every attempt; dead-lettered' : 'retry unavailable',
      );
      channel.nack(message, false, delay !== undefined);
      return;
    }
    log.warn({ err: error, retry_in_ms: delay }, 'message failed; retrying later');
    await requeueAfter(consumer, channel, message, delay, attempt + 1);
  }

  function publishRaw(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: { messageId?: string; type?: string; contentType?: string; headers?: Record<string, unknown> },
  ): Promise<void> {
    const channel = publisher;
    if (!channel) return Promise.reject(new TransientError('not connected to the message broker'));
    return new Promise((resolve, reject) => {
      channel.publish(
        exchange,
        routingKey,
        content,
        { persistent: true, timestamp: Math.floor(Date.now() / 1000), ...properties },
        (error) => (error ? reject(new TransientError(`broker refused the message: ${error}`)) : resolve()),
      );
    });
  }

  return {
    /** Connects; with `wait: false` returns at once and keeps trying in the background. */
    async connect({ wait = true }: { wait?: boolean } = {}) {
      connection = await connectRecovering();
      connection.on('disconnect', (error: Error) => {
        connected = false;
        publisher = undefined;
        if (!closing) logger.warn({ err: error }, 'amqp connection lost; reconnecting');
      });
      connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
        logger.debug({ attempt, delay }, 'amqp reconnect scheduled'),
      );
      connection.on('error', (error: Error) => logger.warn({ err: error }, 'amqp connection error'));
      if (wait) await connection.waitForConnect();
    },

    /** Publishes a persistent JSON message; resolves once the broker confirms it. */
    publish(
      exchange: string,
      routingKey: string,
      message: { message_id: string; type?: string },
      options: { headers?: Record<string, unknown> } = {},
    ) {
      return publishRaw(exchange, routingKey, Buffer.from(JSON.stringify(message)), {
        messageId: message.message_id,
        type: message.type ?? routingKey,
        contentType: 'application/json',
        headers: options.headers ?? {},
      });
    },

    /** Consumes with manual acks; the handler resolving acks, throwing retries through the delay queues. */
    consume<S extends z.ZodType>(
      queue: string,
      schema: S,
      handler: Handler<z.infer<S>>,
      { prefetch = options.prefetch ?? 1 } = {},
    ) {
      consumers.push({ queue, schema, handler, prefetch });
    },

    isConnected: () => connected && publisher !== undefined,

    /** Readiness: a live round trip to the broker. */
    async check() {
      if (!publisher) throw new Error('not connected to the message broker');
      await publisher.checkExchange(EXCHANGES.jobs);
    },

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
      for (const consumer of consumers) clearTimeout(consumer.paused);
      await Promise.all(
        consumers.map((consumer) =>
          consumer.tag ? consumer.channel?.cancel(consumer.tag).catch(() => undefined) : undefined,
        ),
      );
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          setTimeout(resolve, timeoutMs).unref();
        });
      }
      await connection?.close().catch(() => undefined);
      connected = false;
    },
  };
}
