import { createLogger, exitOnStartupError, handleShutdown } from '@ipp/platform';
import { loadProductConfig } from './config.ts';
import { startProductService } from './service.ts';

async function main() {
  const config = loadProductConfig();
  const logger = createLogger({ service: 'product', level: config.LOG_LEVEL });
  const service = await startProductService(config, { logger });
  handleShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, closers: service.closers });
}

main().catch((error) => exitOnStartupError('product', error));
