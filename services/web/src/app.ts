import {
  createHttpApp,
  type Logger,
  type Metrics,
  mountProbes,
  type ReadinessCheck,
  serviceVersion,
} from '@ipp/platform';
import type { ApiClient } from './api-client.ts';
import { mountAssets } from './routes/assets.ts';
import { mountHealthPage } from './routes/health-page.ts';
import { mountKeyPage } from './routes/key-page.ts';
import { mountProductPage } from './routes/product-page.ts';
import { mountProductsPage } from './routes/products-page.ts';
import { mountRequestPage } from './routes/request-page.ts';
import { mountRequestsPage } from './routes/requests-page.ts';
import { mountUploadPage } from './routes/upload-page.ts';
import { securityHeaders } from './security-headers.ts';

/** The web app: probes and `/metrics`, then its pages and assets under a strict Content-Security-Policy. */
export function createWebApp(options: {
  logger: Logger;
  metrics: Metrics;
  api: ApiClient;
  checks: Record<string, ReadinessCheck>;
}) {
  const { logger, metrics, api, checks } = options;
  const app = createHttpApp({ logger, metrics });
  mountProbes(app, { service: 'web', version: serviceVersion(), checks, metrics });
  app.use(securityHeaders());
  mountAssets(app);
  mountUploadPage(app, api);
  mountRequestsPage(app, api);
  mountRequestPage(app, api);
  mountProductsPage(app, api);
  mountProductPage(app, api);
  mountHealthPage(app, api);
  mountKeyPage(app);
  return app;
}
