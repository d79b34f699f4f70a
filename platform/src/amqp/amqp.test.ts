import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { EXCHANGES, QUEUES, ROUTING_KEYS } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../logger.ts';
import { createTestVhost, until } from '../testing/index.ts';
import { type Amqp, createAmqp } from './index.ts';

const run = promisify(execFile);
const logger = createLogger({ service: 'amqp-test', level: 'silent' });
const Ping = z.object({ message_id: z.uuid(), type: z.literal('image.processed'), n: z.number() });
const ping = (n: number) => ({ message_id: randomUUID(), type: 'image.processed' as const, n });
// Test messages of their own shape, checked against their own schema rather than the contract's.
const asPing = { schema: Ping };

describe('createAmqp', () => {
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let amqp: Amqp;
  const received: Array<{ n: number; attempt: number; finalAttempt: boolean }> = [];
  const failuresBeforeSuccess = new Map<number, number>();

  beforeAll(async () => {
    vhost = await createTestVhost('amqp');
    amqp = createAmqp({ url: vhost.url, logger, retryDelaysMs: [50, 100] });
    amqp.consume(QUEUES.productEvents, Ping, async (message, delivery) => {
      received.push({ n: message.n, attempt: delivery.attempt, finalAttempt: delivery.finalAttempt });
      const failures = failuresBeforeSuccess.get(message.n) ?? 0;
      if (delivery.attempt <= failures) throw new Error(`failing attempt ${delivery.attempt}`);
    });
    await amqp.connect();
  });
  afterAll(async () => {
    await amqp?.close();
    await vhost?.drop();
  });

  it('delivers a published message to its queue once and acks it', async () => {
    await amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, ping(1), asPing);
    await until(() => received.some((entry) => entry.n === 1));
    await until(async () => (await amqp.queueStats(QUEUES.productEvents)).messages === 0);
    expect(received.filter((entry) => entry.n === 1)).toEqual([{ n: 1, attempt: 1, finalAttempt: false }]);
  });

  it('retries a failing message through the delay queues with a growing attempt number', async () => {
    failuresBeforeSuccess.set(2, 2);
    await amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, ping(2), asPing);
    await until(() => received.filter((entry) => entry.n === 2).length === 3);
    expect(received.filter((entry) => entry.n === 2).map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    expect(received.find((entry) => entry.n === 2 && entry.attempt === 3)?.finalAttempt).toBe(true);
  });

  it('dead-letters a message that fails every attempt, and one that breaks its schema', async () => {
    failuresBeforeSuccess.set(3, 99);
    await amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, ping(3), asPing);
    // Past the publisher's check (any shape passes `z.unknown()`): the consumer's schema must refuse it.
    await amqp.publish(
      EXCHANGES.events,
      ROUTING_KEYS.processed,
      { message_id: randomUUID(), type: 'nonsense' },
      { schema: z.unknown() },
    );
    const stats = await until(async () => {
      const dead = await amqp.queueStats(QUEUES.deadLetter);
      return dead.messages === 2 ? dead : undefined;
    });
    expect(stats.messages).toBe(2);
    expect(received.filter((entry) => entry.n === 3)).toHaveLength(3);
  });

  it("keeps a message through an outage of its consumer's dependency longer than every retry tier", async () => {
    const outage = new Error('database down');
    let down = true;
    const attempts: number[] = [];
    let handled = 0;
    const consumer = createAmqp({
      url: vhost.url,
      logger,
      retryDelaysMs: [50, 100],
      isOutage: (error) => error === outage,
      outagePauseMs: 1_000,
    });
    consumer.consume(QUEUES.uploadEvents, Ping, async (message, delivery) => {
      if (message.n !== 6) return;
      attempts.push(delivery.attempt);
      if (down) throw outage;
      handled += 1;
    });
    await consumer.connect();
    try {
      // The earlier tests' messages reached this queue too: let them go first.
      await until(async () => (await amqp.queueStats(QUEUES.uploadEvents)).messages === 0);
      const deadBefore = (await amqp.queueStats(QUEUES.deadLetter)).messages;
      await amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, ping(6), asPing);
      // Consuming pauses after a failure, so the queue has no consumer for a while.
      await until(async () => attempts.length > 0 && (await amqp.queueStats(QUEUES.uploadEvents)).consumers === 0, {
        intervalMs: 50,
      });
      // More failures than the two retry tiers allow, and still not dead-lettered.
      await until(() => attempts.length >= 4, { timeoutMs: 15_000 });
      down = false;
      await until(() => handled === 1, { timeoutMs: 15_000 });
      expect(new Set(attempts)).toEqual(new Set([1]));
      expect((await amqp.queueStats(QUEUES.deadLetter)).messages).toBe(deadBefore);
    } finally {
      await consumer.close();
    }
  });

  it('refuses to publish a message that breaks its contract schema, or whose routing key has none', async () => {
    const stray = ping(7);
    await expect(amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, stray)).rejects.toThrow(
      /image\.processed message breaks its schema/,
    );
    await expect(amqp.publish(EXCHANGES.events, 'image.unknown', stray)).rejects.toThrow(/no contract schema/);
    expect(received.some((entry) => entry.n === 7)).toBe(false);
  });

  it('reconnects by itself after the broker drops the connection and keeps consuming', async () => {
    await run('rabbitmqctl', ['-q', 'close_all_connections', '-p', vhost.vhost, 'test: connection cut']);
    await until(() => !amqp.isConnected(), { timeoutMs: 5_000 });
    await expect(amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, ping(4), asPing)).rejects.toThrow(
      /not connected/,
    );
    await until(() => amqp.isConnected(), { timeoutMs: 15_000 });
    await amqp.publish(EXCHANGES.events, ROUTING_KEYS.processed, ping(5), asPing);
    await until(() => received.some((entry) => entry.n === 5));
  });
});
