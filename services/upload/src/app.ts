import { type AppEnv, createHttpApp, type Logger, type Metrics } from '@ipp/platform';
import { createApiRoutes } from '@ipp/platform/api-routes';
import type { NetworkPolicy } from '@ipp/platform/ssrf-guard';
import type { ObjectStorage } from '@ipp/platform/storage';
import type { Hono } from 'hono';
import type { ChangeListener } from './change-listener.ts';
import type { Pool } from './database.ts';
import type { ProductClient } from './product-client.ts';
import { mountCreateUpload } from './routes/create-upload.ts';
import { mountDeleteUpload } from './routes/delete-upload.ts';
import { mountGetFile } from './routes/get-file.ts';
import { mountGetOutputCsv } from './routes/get-output-csv.ts';
import { mountListUploads } from './routes/list-uploads.ts';
import { type EventStreams, mountUploadEvents } from './routes/upload-events.ts';
import { mountUploadStatus } from './routes/upload-status.ts';

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
  /** The live progress streams: the process's change listener, its open streams and their heartbeat. */
  events: { listener: ChangeListener; streams: EventStreams; heartbeatMs: number };
};

/** Every public route of the upload service on one Hono app, each on its declaration (probes are mounted by main). */
export function createUploadApp(options: AppOptions): Hono<AppEnv> {
  const app = createHttpApp({ logger: options.logger, metrics: options.metrics });
  const api = createApiRoutes();
  mountCreateUpload(api, options);
  mountUploadStatus(api, options);
  mountListUploads(api, options);
  mountGetOutputCsv(api, options);
  mountDeleteUpload(api, options);
  mountUploadEvents(api, { ...options, ...options.events });
  mountGetFile(api, { storage: options.storage, delivery: options.filesDelivery, urlTtlS: options.filesUrlTtlS });
  app.route('/', api);
  return app;
}
