import { createLogger, exitOnStartupError, handleShutdown, listen, serviceVersion } from '@ipp/platform';
import { installProcessGuard } from '@ipp/platform/process-guard';
import { createAdminApp } from './app.ts';
import { loadGatewayConfig } from './config.ts';
import { renderDocs } from './docs.ts';
import { createGateway } from './gateway.ts';
import { createGatewayMetrics } from './gateway-metrics.ts';
import { createKeyStore } from './key-store.ts';
import { listenPublic } from './public-server.ts';
import { createRateLimits } from './rate-limit.ts';
import { createRequestLogger, logDestination } from './request-log.ts';

async function main() {
  const config = loadGatewayConfig();
  const version = serviceVersion();
  const destination = logDestination();
  // SonicBoom is a writable stream in all but its declared type.
  const logger = createLogger({
    service: 'gateway',
    level: config.LOG_LEVEL,
    destination: destination as unknown as NodeJS.WritableStream,
  });
  const metrics = createGatewayMetrics();
  installProcessGuard({ logger, registry: metrics.registry });

  const rateLimits = createRateLimits({
    store: config.RATE_LIMIT_STORE,
    points: config.RATE_LIMIT_POINTS,
    durationS: config.RATE_LIMIT_DURATION_S,
    uploadPoints: config.RATE_LIMIT_UPLOAD_POINTS,
    redisUrl: config.REDIS_URL,
    databaseUrl: config.DATABASE_URL,
    logger,
    onFallback: metrics.fellBack,
  });

  // The auth service's keys only when AUTH_MODE asks for keys; API_KEYS alone (the simple mode) needs none.
  const keyStore = createKeyStore({
    authServiceUrl: config.managedKeys ? config.AUTH_SERVICE_URL : undefined,
    staticKeys: config.API_KEYS,
    refreshIntervalMs: config.AUTH_REFRESH_INTERVAL_MS,
    logger,
    onRefresh: metrics.keysRefreshed,
  });
  keyStore.start();

  const gateway = createGateway({
    upstreams: {
      product: config.PRODUCT_SERVICE_URL,
      upload: config.UPLOAD_SERVICE_URL,
      health: config.HEALTH_SERVICE_URL,
      web: config.WEB_APP_URL,
      auth: config.AUTH_SERVICE_URL,
    },
    logger,
    requestLogger: createRequestLogger({ level: config.LOG_LEVEL, destination }),
    metrics,
    rateLimits,
    docs: await renderDocs(version),
    keyStore,
    authMode: config.AUTH_MODE,
    uploadsOwned: config.managedKeys,
    corsOrigins: config.CORS_ORIGINS,
    trustProxyHops: config.TRUST_PROXY_HOPS,
    maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    upstreamTimeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
    maxStreamsPerClient: config.SSE_MAX_STREAMS_PER_CLIENT,
  });

  const publicServer = await listenPublic(gateway.handle, {
    port: config.WEB_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  const admin = await listen({
    fetch: createAdminApp({ version, metrics, rateLimits, keyStore }).fetch,
    port: config.GATEWAY_ADMIN_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info(
    {
      port: publicServer.port,
      admin_port: admin.port,
      rate_limit_store: config.RATE_LIMIT_STORE,
      auth_mode: config.AUTH_MODE,
      api_keys: config.API_KEYS.length,
    },
    'gateway listening',
  );
  if (config.AUTH_MODE === 'off') {
    logger.warn(
      { auth_mode: 'off' },
      'AUTH_MODE=off: every API call is open to anyone who can reach this gateway, and uploads are not kept ' +
        'apart by key; set AUTH_MODE=writes or all (docs/ARCHITECTURE.md, Access) anywhere but a local run',
    );
  }

  handleShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [
      // Open event streams end first (clients reconnect with Last-Event-ID): the server then waits on none.
      { name: 'event streams', close: async () => gateway.closeStreams() },
      { name: 'public server', close: () => publicServer.close(config.SHUTDOWN_TIMEOUT_MS) },
      { name: 'admin server', close: () => admin.close(1000) },
      { name: 'upstream connections', close: () => gateway.close() },
      { name: 'rate-limit store', close: () => rateLimits.close() },
      { name: 'key refresh', close: async () => keyStore.stop() },
    ],
  });
}

main().catch((error: unknown) => exitOnStartupError('gateway', error));
