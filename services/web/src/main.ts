import { createLogger, createMetrics, exitOnStartupError, handleShutdown, listen, serviceVersion } from '@ipp/platform';
import { installProcessGuard } from '@ipp/platform/process-guard';
import { createApiClient } from './api-client.ts';
import { createWebApp } from './app.ts';
import { loadWebConfig } from './config.ts';

const SERVICE = 'web';

try {
  const config = loadWebConfig();
  const version = serviceVersion();
  const logger = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const metrics = createMetrics(SERVICE);
  installProcessGuard({ logger, registry: metrics.registry });
  const api = createApiClient({ baseUrl: config.GATEWAY_URL, timeoutMs: config.WEB_API_TIMEOUT_MS });
  const app = createWebApp({ logger, metrics, api, checks: { gateway: () => api.ready() } });
  const server = await listen({
    fetch: app.fetch,
    port: config.WEB_APP_PORT,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  });
  logger.info({ port: server.port, version, gateway: config.GATEWAY_URL }, 'web app listening');
  handleShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    closers: [{ name: 'http', close: () => server.close(config.SHUTDOWN_TIMEOUT_MS) }],
  });
} catch (error) {
  exitOnStartupError(SERVICE, error);
}
