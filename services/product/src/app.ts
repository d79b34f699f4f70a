import {
  createHttpApp,
  type Logger,
  type Metrics,
  mountProbes,
  problemResponse,
  type ReadinessCheck,
  serviceVersion,
} from '@ipp/platform';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createProductRoute } from './routes/create-product.ts';
import { deleteProductRoute } from './routes/delete-product.ts';
import { ensureProductsRoute } from './routes/ensure-products.ts';
import { getProductRoute } from './routes/get-product.ts';
import { listProductsRoute } from './routes/list-products.ts';
import type { ProductRouter } from './routes/router.ts';
import { updateProductRoute } from './routes/update-product.ts';

/** Refuses a body over `maxBytes` with 413 problem+json. */
function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c: Context) =>
      problemResponse('payload_too_large', `The body exceeds ${maxBytes} bytes`, c.get('requestId') ?? ''),
  });
}

/** The product service's HTTP app: probes, the public products API and the internal ensure endpoint. */
export function createProductApp(options: {
  orm: MikroORM;
  logger: Logger;
  metrics: Metrics;
  checks: Record<string, ReadinessCheck>;
  maxBodyBytes?: number;
  maxInternalBodyBytes?: number;
}) {
  const { orm, logger, metrics, checks, maxBodyBytes = 64 * 1024, maxInternalBodyBytes = 8 * 1024 * 1024 } = options;
  const app = createHttpApp({ logger, metrics });
  mountProbes(app, { service: 'product', version: serviceVersion(), checks, metrics });
  app.use('/api/*', limitBody(maxBodyBytes));
  app.use('/internal/*', limitBody(maxInternalBodyBytes));
  const router: ProductRouter = { app, em: () => orm.em.fork() };
  listProductsRoute(router);
  getProductRoute(router);
  createProductRoute(router);
  updateProductRoute(router);
  deleteProductRoute(router);
  ensureProductsRoute(router);
  return app;
}
