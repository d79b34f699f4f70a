import { MESSAGE_SCHEMAS } from '@ipp/contracts';
import type { ConfirmChannel } from 'amqplib';
import type { z } from 'zod';

export type MessageProperties = {
  messageId?: string;
  type?: string;
  contentType?: string;
  headers?: Record<string, unknown>;
};

function contractSchema(routingKey: string): z.ZodType | undefined {
  return (MESSAGE_SCHEMAS as Record<string, z.ZodType>)[routingKey];
}

/**
 * Publishes persistent messages on the connection's confirm channel and resolves on the broker's confirm.
 * A message is checked against its contract schema first (found by routing key, or given), so a bad one
 * fails where it was built instead of being dead-lettered by its consumer.
 */
export function createPublisher() {
  let channel: ConfirmChannel | undefined;

  function send(exchange: string, routingKey: string, content: Buffer, properties: MessageProperties) {
    const current = channel;
    if (!current) return Promise.reject(new Error('not connected to the message broker'));
    return new Promise<void>((resolve, reject) => {
      current.publish(
        exchange,
        routingKey,
        content,
        { persistent: true, timestamp: Math.floor(Date.now() / 1000), ...properties },
        (error) => (error ? reject(new Error(`broker refused the message: ${error}`)) : resolve()),
      );
    });
  }

  return {
    /** Publishes on `next` from now on, until it closes. */
    use(next: ConfirmChannel) {
      channel = next;
      next.once('close', () => {
        if (channel === next) channel = undefined;
      });
    },
    drop() {
      channel = undefined;
    },
    isReady: () => channel !== undefined,
    /** Readiness: a live round trip to the broker. */
    async check(exchange: string) {
      if (!channel) throw new Error('not connected to the message broker');
      await channel.checkExchange(exchange);
    },
    send,

    /** Validates a JSON message against its schema, then publishes it; resolves once the broker confirms it. */
    publish(
      exchange: string,
      routingKey: string,
      message: { message_id: string; type?: string },
      options: { headers?: Record<string, unknown>; schema?: z.ZodType } = {},
    ) {
      const schema = options.schema ?? contractSchema(routingKey);
      if (!schema) return Promise.reject(new Error(`no contract schema for routing key ${routingKey}`));
      const parsed = schema.safeParse(message);
      if (!parsed.success) {
        const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        return Promise.reject(new Error(`${routingKey} message breaks its schema (${issues.join('; ')})`));
      }
      return send(exchange, routingKey, Buffer.from(JSON.stringify(message)), {
        messageId: message.message_id,
        type: message.type ?? routingKey,
        contentType: 'application/json',
        headers: options.headers ?? {},
      });
    },
  };
}

export type Publisher = ReturnType<typeof createPublisher>;
