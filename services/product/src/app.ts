import {
  createHttpApp,
  type Logger,
  type Metrics,
  mountProbes,
  problemResponse,
  type ReadinessCheck,
  serviceVersion,
} from '@ipp/platform';
import { createApiRoutes } from '@ipp/platform/api-routes';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { mountCreateProduct } from './routes/create-product.ts';
import { mountDeleteProduct } from './routes/delete-product.ts';
import { mountEnsureProducts } from './routes/ensure-products.ts';
import { mountGetProduct } from './routes/get-product.ts';
import { mountListProducts } from './routes/list-products.ts';
import type { ProductRouter } from './routes/router.ts';
import { mountUpdateProduct } from './routes/update-product.ts';

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
  const router: ProductRouter = { api: createApiRoutes(), em: () => orm.em.fork() };
  mountListProducts(router);
  mountGetProduct(router);
  mountCreateProduct(router);
  mountUpdateProduct(router);
  mountDeleteProduct(router);
  mountEnsureProducts(router);
  return app.route('/', router.api);
}
