import { createLogger, createMetrics, exitOnStartupError, handleShutdown } from '@ipp/platform';
import { installProcessGuard } from '@ipp/platform/process-guard';
import { loadProductConfig } from './config.ts';
import { startProductService } from './service.ts';

async function main() {
  const config = loadProductConfig();
  const logger = createLogger({ service: 'product', level: config.LOG_LEVEL });
  const metrics = createMetrics('product');
  installProcessGuard({ logger, registry: metrics.registry });
  const service = await startProductService(config, { logger, metrics });
  handleShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, closers: service.closers });
}

main().catch((error) => exitOnStartupError('product', error));
