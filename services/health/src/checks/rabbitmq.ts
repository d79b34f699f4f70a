import { QUEUES } from '@ipp/contracts';
import { withTimeout } from '@ipp/platform';
import amqp, { type ChannelModel } from 'amqplib';
import { type CheckResult, elapsedMs, errorMessage } from './timed.ts';

export type QueueStats = { messages: number; consumers: number };
export type BrokerCheck = { rabbitmq: CheckResult; queues: CheckResult & { queues: Record<string, QueueStats> } };

/**
 * A connection of the aggregator's own, opened on demand and dropped when the broker closes it, so a
 * stopped broker reads `down` and a restarted one is found again by the next check. Queue depths come
 * from `checkQueue` (passive declare), which needs no management plugin.
 */
export function createBrokerCheck(options: { url: string; timeoutMs: number; onError: (error: Error) => void }) {
  let connection: Promise<ChannelModel> | undefined;

  const connect = () => {
    connection ??= amqp.connect(options.url, { timeout: options.timeoutMs }).then(
      (model) => {
        model.on('error', options.onError);
        model.on('close', () => {
          connection = undefined;
        });
        return model;
      },
      (error: unknown) => {
        connection = undefined;
        throw error;
      },
    );
    return connection;
  };

  async function queueStats(model: ChannelModel) {
    const stats: Record<string, QueueStats> = {};
    const missing: string[] = [];
    for (const queue of Object.values(QUEUES)) {
      // A passive declare of a missing queue closes its channel: one channel per queue.
      const channel = await model.createChannel();
      channel.on('error', () => undefined);
      try {
        const reply = await channel.checkQueue(queue);
        stats[queue] = { messages: reply.messageCount, consumers: reply.consumerCount };
        await channel.close();
      } catch {
        missing.push(queue);
      }
    }
    return { stats, missing };
  }

  return {
    async check(): Promise<BrokerCheck> {
      const started = performance.now();
      let model: ChannelModel;
      try {
        model = await withTimeout(connect(), options.timeoutMs);
      } catch (error) {
        const down = { status: 'down' as const, latency_ms: elapsedMs(started), error: errorMessage(error) };
        return { rabbitmq: down, queues: { ...down, queues: {} } };
      }
      const rabbitmq: CheckResult = { status: 'ok', latency_ms: elapsedMs(started) };
      const queuesStarted = performance.now();
      try {
        const { stats, missing } = await withTimeout(queueStats(model), options.timeoutMs);
        const latency_ms = elapsedMs(queuesStarted);
        if (missing.length === 0) return { rabbitmq, queues: { status: 'ok', latency_ms, queues: stats } };
        return {
          rabbitmq,
          queues: {
            status: 'degraded',
            latency_ms,
            error: `queues not declared yet: ${missing.join(', ')}`,
            queues: stats,
          },
        };
      } catch (error) {
        // A connection that stopped answering (a broker gone without closing it) is dropped, not reused.
        connection = undefined;
        model.close().catch(() => undefined);
        const down = { status: 'down' as const, error: errorMessage(error) };
        return {
          rabbitmq: { ...down, latency_ms: elapsedMs(started) },
          queues: { ...down, latency_ms: elapsedMs(queuesStarted), queues: {} },
        };
      }
    },
    async close() {
      const model = await connection?.catch(() => undefined);
      connection = undefined;
      await model?.close().catch(() => undefined);
    },
  };
}
