import { type AppEnv, createHttpApp, type Logger, type Metrics } from '@ipp/platform';
import type { NetworkPolicy } from '@ipp/platform/ssrf-guard';
import type { ObjectStorage } from '@ipp/platform/storage';
import type { Hono } from 'hono';
import type { Pool } from './database.ts';
import { mountFilesRoute } from './files-route.ts';
import type { ProductClient } from './product-client.ts';
import { mountStatusRoutes } from './status-routes.ts';
import { mountUploadRoute } from './upload-route.ts';

export type AppOptions = {
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  storage: ObjectStorage;
  fetchPolicy: NetworkPolicy;
  products: ProductClient;
  publicBaseUrl: string;
  filesDelivery?: 'proxy' | 'redirect';
  filesUrlTtlS?: number;
  maxBytes: number;
  maxRows: number;
  onAccepted: () => void;
};

/** Every public route of the upload service on one Hono app (probes are mounted by main). */
export function createUploadApp(options: AppOptions): Hono<AppEnv> {
  const app = createHttpApp({ logger: options.logger, metrics: options.metrics });
  mountUploadRoute(app, options);
  mountStatusRoutes(app, options);
  mountFilesRoute(app, { storage: options.storage, delivery: options.filesDelivery, urlTtlS: options.filesUrlTtlS });
  return app;
}
