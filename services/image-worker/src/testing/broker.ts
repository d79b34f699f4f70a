import { EXCHANGES, type ImageProcessJob, QUEUES } from '@ipp/contracts';
import { assertTopology } from '@ipp/platform/amqp';
import amqplib from 'amqplib';

export type Event = { type: string; message_id: string; item_id: string; request_id: string; [field: string]: unknown };

/** A test's own broker connection: publishes jobs and records every event the workers publish. */
export async function connectTestBroker(url: string) {
  const connection = await amqplib.connect(url);
  const channel = await connection.createConfirmChannel();
  await assertTopology(channel);
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, EXCHANGES.events, '#');
  const events: Event[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message) events.push(JSON.parse(message.content.toString()) as Event);
    },
    { noAck: true },
  );

  return {
    events,
    async publish(jobs: ImageProcessJob[]) {
      for (const job of jobs) {
        channel.publish(EXCHANGES.jobs, 'image.process', Buffer.from(JSON.stringify(job)), {
          persistent: true,
          messageId: job.message_id,
          contentType: 'application/json',
        });
      }
      await channel.waitForConfirms();
    },
    consumers: async () => (await channel.checkQueue(QUEUES.jobs)).consumerCount,
    close: () => connection.close(),
  };
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
