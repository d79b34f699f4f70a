import amqplib, { type ChannelModel } from 'amqplib';
import type { Logger } from '../logger.ts';

/**
 * One broker connection per process with amqplib's recovery: it reconnects by itself with backoff (up to
 * 5 s) and runs `setup` on every new connection. Lost connections and retries are logged, not thrown.
 */
export async function connectRecovering(options: {
  url: string;
  logger: Logger;
  heartbeatS: number;
  setup: (model: ChannelModel) => Promise<void>;
  onDisconnect: () => void;
  isClosing: () => boolean;
}) {
  const { logger } = options;
  const url = new URL(options.url);
  url.searchParams.set('heartbeat', String(options.heartbeatS));
  const connection = await amqplib.connect(url.toString(), {
    recovery: { initialDelay: 200, maxDelay: 5_000, setup: options.setup, waitForConnect: false },
    clientProperties: { connection_name: logger.bindings().service ?? 'ipp' },
  });
  connection.on('disconnect', (error: Error) => {
    options.onDisconnect();
    if (!options.isClosing()) logger.warn({ err: error }, 'amqp connection lost; reconnecting');
  });
  connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
    logger.debug({ attempt, delay }, 'amqp reconnect scheduled'),
  );
  connection.on('error', (error: Error) => logger.warn({ err: error }, 'amqp connection error'));
  return connection;
}

export type RecoveringConnection = Awaited<ReturnType<typeof connectRecovering>>;
