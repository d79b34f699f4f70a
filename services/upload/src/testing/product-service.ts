import { freePort, startService } from '@ipp/platform/testing';

/** The real product service as a process (it is reached over HTTP only, never imported). */
export async function startProductService(options: { databaseUrl: string; amqpUrl: string }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    entry: new URL('../../../product/src/main.ts', import.meta.url),
    readyUrl: `${url}/health/ready`,
    timeoutMs: 30_000,
    env: { PRODUCT_PORT: String(port), DATABASE_URL: options.databaseUrl, AMQP_URL: options.amqpUrl },
  });
  return { url, stop: () => service.stop() };
}
