import {
  type Closer,
  createLogger,
  createMetrics,
  isDatabaseDown,
  type Logger,
  listen,
  type Metrics,
} from '@ipp/platform';
import { createAmqp } from '@ipp/platform/amqp';
import { initOrm } from '@ipp/platform/orm';
import { createProductApp } from './app.ts';
import type { ProductConfig } from './config.ts';
import { consumeImageEvents } from './consumers/image-events.ts';
import { consumeUploadEvents } from './consumers/upload-events.ts';
import { entities } from './entities.ts';
import { migrations } from './migrations/index.ts';

export type ProductService = Awaited<ReturnType<typeof startProductService>>;

/**
 * Migrates the `product` schema, starts consuming image events, and serves the API. The closers stop
 * it in order: HTTP first (finishing in-flight requests), then the consumer, then the pool.
 */
export async function startProductService(config: ProductConfig, options: { logger?: Logger; metrics?: Metrics } = {}) {
  const logger = options.logger ?? createLogger({ service: 'product', level: config.LOG_LEVEL });
  const metrics = options.metrics ?? createMetrics('product');
  const orm = await initOrm({
    databaseUrl: config.DATABASE_URL,
    schema: 'product',
    entities,
    migrations,
    poolMax: config.DATABASE_POOL_MAX,
  });
  // The API serves without the broker; the consumer attaches once the connection comes up.
  const probeDatabase = () => orm.em.getConnection().execute('SELECT 1');
  // Events wait out a database outage rather than burn their retries and dead-letter.
  const amqp = createAmqp({
    url: config.AMQP_URL,
    logger,
    prefetch: 4,
    isOutage: (error) => isDatabaseDown(error, probeDatabase),
  });
  consumeImageEvents({ amqp, orm, logger });
  consumeUploadEvents({ amqp, orm, logger });
  await amqp.connect({ wait: false });

  const app = createProductApp({
    orm,
    logger,
    metrics,
    checks: { database: probeDatabase },
  });
  const server = await listen({
    fetch: app.fetch,
    port: config.PRODUCT_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info({ port: server.port }, 'product service listening');

  const closers: Closer[] = [
    { name: 'http', close: () => server.close(config.SHUTDOWN_TIMEOUT_MS) },
    { name: 'amqp', close: () => amqp.close() },
    { name: 'database', close: () => orm.close() },
  ];
  return {
    app,
    port: server.port,
    orm,
    amqp,
    closers,
    async close() {
      for (const closer of closers) await closer.close();
    },
  };
}
