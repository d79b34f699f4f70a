import { createLogger, createMetrics, listen } from '@ipp/platform';
import { type Amqp, createAmqp } from '@ipp/platform/amqp';
import { migrate } from '@ipp/platform/migrations';
import { parseNetworkPolicy } from '@ipp/platform/ssrf-guard';
import { createTestStorage, type StorageDriver, storedFiles } from '@ipp/platform/storage/testing';
import { createTestDatabase, createTestVhost } from '@ipp/platform/testing';
import { createUploadApp } from '../app.ts';
import { createChangeListener } from '../change-listener.ts';
import { createPool } from '../database.ts';
import { migrations } from '../migrations/index.ts';
import { createProductClient } from '../product-client.ts';
import { createEventStreams } from '../routes/upload-events.ts';
import { startProductStandIn } from './product-stand-in.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field and assert them.
type JsonBody = any;

export const PUBLIC_BASE_URL = 'http://files.test';
export const testLogger = createLogger({ service: 'upload-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A migrated database of its own, storage of its own and a product stand-in; the app is built on them. */
export async function createHarness(
  label: string,
  options: {
    maxBytes?: number;
    maxRows?: number;
    requestTimeoutMs?: number;
    driver?: StorageDriver;
    heartbeatMs?: number;
  } = {},
) {
  const database = await createTestDatabase(label);
  await migrate({ databaseUrl: database.url, schema: 'upload', migrations });
  const pool = createPool({ databaseUrl: database.url, max: 5, logger: testLogger });
  const stored = await createTestStorage(label, options.driver);
  const { storage } = stored;
  const productService = await startProductStandIn();
  let accepted = 0;
  const metrics = createMetrics('upload');
  /** One upload service replica on the shared database and storage: its app, change listener and server. */
  async function startReplica(replicaMetrics = createMetrics('upload')) {
    const listener = createChangeListener({ databaseUrl: database.url, logger: testLogger });
    listener.start();
    const streams = createEventStreams();
    const app = createUploadApp({
      logger: testLogger,
      metrics: replicaMetrics,
      pool,
      storage,
      fetchPolicy: parseNetworkPolicy('127.0.0.1/32'),
      products: createProductClient({ baseUrl: productService.url }),
      publicBaseUrl: PUBLIC_BASE_URL,
      maxBytes: options.maxBytes ?? 1_000_000,
      maxRows: options.maxRows ?? 1000,
      onAccepted: () => {
        accepted += 1;
      },
      events: { listener, streams, heartbeatMs: options.heartbeatMs ?? 15_000 },
    });
    const server = await listen({
      fetch: app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      requestTimeoutMs: options.requestTimeoutMs,
    });
    return {
      app,
      listener,
      streams,
      baseUrl: `http://127.0.0.1:${server.port}`,
      async close() {
        await streams.close();
        await server.close(1000);
        await listener.stop();
      },
    };
  }
  const main = await startReplica(metrics);
  const replicas = [main];
  const { app, baseUrl } = main;
  const request = (url: string, init?: RequestInit) => fetch(new URL(url, baseUrl), init);
  return {
    app,
    metrics,
    baseUrl,
    request,
    pool,
    storage,
    /** The directory the stored objects end up in, whichever the driver. */
    storageRoot: stored.root,
    /** The S3 server (s3 driver only), to stop and start in fault tests. */
    s3: stored.server,
    /** The files stored under a folder such as `uploads`, whichever the driver. */
    storedFiles: (folder: string) => storedFiles(stored.root, folder),
    databaseUrl: database.url,
    productService,
    accepted: () => accepted,
    /** `POST /api/upload`; the body parsed as JSON (problem or accepted). */
    async upload(body: FormData | string, headers: Record<string, string> = {}) {
      const response = await request('/api/upload', { method: 'POST', body, headers });
      return { status: response.status, headers: response.headers, body: (await response.json()) as JsonBody };
    },
    async getJson(url: string) {
      const response = await request(url);
      return { status: response.status, headers: response.headers, body: (await response.json()) as JsonBody };
    },
    async count(table: string) {
      const { rows } = await pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM upload.${table}`);
      return rows[0]?.count ?? 0;
    },
    listener: main.listener,
    streams: main.streams,
    /** Another replica of the service on the same database (its own change listener and port). */
    async startReplica() {
      const replica = await startReplica();
      replicas.push(replica);
      return replica;
    },
    async close() {
      for (const replica of replicas) await replica.close();
      await pool.end();
      await productService.close();
      await stored.close();
      await database.drop();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

/** What the upload service's consumers are given. */
export type ConsumerDependencies = Pick<Harness, 'pool' | 'storage'> & {
  publicBaseUrl: string;
  logger: typeof testLogger;
};

/**
 * The harness plus a RabbitMQ vhost of its own and the upload side's connection to it, with `attach` (the
 * consumers under test) run before it connects. `close` undoes it all.
 */
export async function createBrokerHarness(
  label: string,
  options: { driver?: StorageDriver; attach: (upload: Amqp, dependencies: ConsumerDependencies) => void },
) {
  const harness = await createHarness(label, { driver: options.driver });
  const vhost = await createTestVhost(label);
  const upload = createAmqp({ url: vhost.url, logger: testLogger });
  options.attach(upload, {
    pool: harness.pool,
    storage: harness.storage,
    publicBaseUrl: PUBLIC_BASE_URL,
    logger: testLogger,
  });
  await upload.connect();
  return {
    harness,
    vhost,
    upload,
    async close() {
      await upload.close();
      await harness.close();
      await vhost.drop();
    },
  };
}

/** A multipart upload of a CSV text plus optional fields. */
export function csvForm(csv: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return form;
}

export const CSV_HEADER = 'Serial Number,Product Name,Input Image Urls';
export type BrokerHarness = Awaited<ReturnType<typeof createBrokerHarness>>;
