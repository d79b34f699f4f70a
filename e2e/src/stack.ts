// Starts the real service processes of the platform on free ports, against a database and a RabbitMQ
// vhost of the test file's own, and stops them all. Tests then talk to the gateway only.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StorageDriver, startTestS3 } from '@ipp/platform/storage/testing';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type ServiceProcess,
  startService,
} from '@ipp/platform/testing';

export type ServiceName = 'auth' | 'product' | 'upload' | 'image-worker' | 'health' | 'web' | 'gateway';

const entries: Record<ServiceName, URL> = {
  auth: new URL('../../services/auth/src/main.ts', import.meta.url),
  product: new URL('../../services/product/src/main.ts', import.meta.url),
  upload: new URL('../../services/upload/src/main.ts', import.meta.url),
  'image-worker': new URL('../../services/image-worker/src/main.ts', import.meta.url),
  health: new URL('../../services/health/src/main.ts', import.meta.url),
  web: new URL('../../services/web/src/main.ts', import.meta.url),
  gateway: new URL('../../gateway/src/main.ts', import.meta.url),
};

export type Stack = Awaited<ReturnType<typeof startStack>>;

type Dependency = { url: string; drop: () => Promise<unknown> };

/**
 * Starts the named services (dependencies first, the gateway last) and returns the gateway's URL. The
 * database and vhost are new ones on the machine's servers, unless the test brings its own.
 */
export async function startStack(options: {
  label: string;
  services: ServiceName[];
  env?: Record<string, string>;
  database?: Dependency;
  broker?: Dependency;
  /** `fs` (default): a temporary STORAGE_DIR; `s3`: a bucket on a versitygw of the stack's own. */
  storage?: StorageDriver;
}) {
  const database = options.database ?? (await createTestDatabase(options.label));
  // Every stack gets a vhost of its own: even the product service alone consumes image events.
  const vhost = options.broker ?? (await createTestVhost(options.label));
  const s3 = options.storage === 's3' ? await startTestS3(options.label) : undefined;
  // Where the stored objects end up either way (versitygw's posix backend keeps a bucket as files).
  const storageDir = s3?.bucketDir ?? (await mkdtemp(join(tmpdir(), `ipp-${options.label}-`)));
  const ports = {
    web: await freePort(),
    admin: await freePort(),
    product: await freePort(),
    upload: await freePort(),
    health: await freePort(),
    worker: await freePort(),
    webApp: await freePort(),
    auth: await freePort(),
  };
  const gatewayUrl = `http://127.0.0.1:${ports.web}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    AMQP_URL: vhost.url,
    ...(s3 ? { STORAGE_DRIVER: 's3', ...s3.env } : { STORAGE_DIR: storageDir }),
    PUBLIC_BASE_URL: gatewayUrl,
    WEB_PORT: String(ports.web),
    GATEWAY_ADMIN_PORT: String(ports.admin),
    GATEWAY_ADMIN_URL: `http://127.0.0.1:${ports.admin}`,
    PRODUCT_PORT: String(ports.product),
    UPLOAD_PORT: String(ports.upload),
    HEALTH_PORT: String(ports.health),
    WORKER_PORT: String(ports.worker),
    AUTH_PORT: String(ports.auth),
    PRODUCT_SERVICE_URL: `http://127.0.0.1:${ports.product}`,
    UPLOAD_SERVICE_URL: `http://127.0.0.1:${ports.upload}`,
    HEALTH_SERVICE_URL: `http://127.0.0.1:${ports.health}`,
    IMAGE_WORKER_URL: `http://127.0.0.1:${ports.worker}`,
    WEB_APP_PORT: String(ports.webApp),
    GATEWAY_URL: gatewayUrl,
    // Only a stack that runs the web app has the aggregator check it (and the gateway route to it).
    ...(options.services.includes('web') ? { WEB_APP_URL: `http://127.0.0.1:${ports.webApp}` } : {}),
    // Likewise the auth service: the aggregator checks it, and gateways with AUTH_MODE writes or all poll it.
    ...(options.services.includes('auth') ? { AUTH_SERVICE_URL: `http://127.0.0.1:${ports.auth}` } : {}),
    FETCH_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8',
    WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    RATE_LIMIT_POINTS: '100000',
    RATE_LIMIT_UPLOAD_POINTS: '10000',
    ...options.env,
  };
  const probe: Record<ServiceName, string> = {
    auth: `${env.AUTH_SERVICE_URL}/health/live`,
    product: `${env.PRODUCT_SERVICE_URL}/health/live`,
    upload: `${env.UPLOAD_SERVICE_URL}/health/live`,
    'image-worker': `${env.IMAGE_WORKER_URL}/health/live`,
    health: `${env.HEALTH_SERVICE_URL}/health/live`,
    web: `http://127.0.0.1:${ports.webApp}/health/live`,
    gateway: `http://127.0.0.1:${env.GATEWAY_ADMIN_PORT}/health/live`,
  };
  const order: ServiceName[] = ['auth', 'product', 'upload', 'image-worker', 'health', 'web', 'gateway'];
  const running = new Map<ServiceName, ServiceProcess>();
  const stop = async () => {
    for (const name of [...running.keys()].reverse()) await running.get(name)?.stop();
    await database.drop().catch(() => undefined);
    await vhost.drop().catch(() => undefined);
    await (s3 ? s3.close() : rm(storageDir, { recursive: true, force: true }));
  };
  try {
    for (const name of order.filter((service) => options.services.includes(service))) {
      running.set(name, await startService({ entry: entries[name], env, readyUrl: probe[name] }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gatewayUrl,
    env,
    storageDir,
    /** The S3 server (storage `s3` only), to stop and start in fault tests. */
    s3,
    databaseUrl: database.url,
    amqpUrl: vhost.url,
    process: (name: ServiceName) => running.get(name),
    /** Starts (another instance of) a service with extra env, e.g. a second worker on a port of its own. */
    startExtra: (name: ServiceName, extraEnv: Record<string, string>, readyUrl = probe[name]) =>
      startService({ entry: entries[name], env: { ...env, ...extraEnv }, readyUrl }),
    stop,
  };
}

/** Uploads a one-row CSV through the gateway as the start of a new trace: its id and the response. */
export async function uploadInNewTrace(gatewayUrl: string, row: string) {
  const traceId = randomBytes(16).toString('hex');
  const form = new FormData();
  const csv = `Serial Number,Product Name,Input Image Urls\r\n${row}\r\n`;
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
  const response = await fetch(`${gatewayUrl}/api/upload`, {
    method: 'POST',
    body: form,
    headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
  });
  return { traceId, response };
}
