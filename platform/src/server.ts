import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export type HttpServer = { server: Server; port: number; close: (timeoutMs: number) => Promise<void> };

/** Listens and resolves once bound; `close` stops accepting, lets in-flight requests finish within a bound. */
export function listen(options: {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  port: number;
  hostname?: string;
}): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: options.fetch,
      port: options.port,
      hostname: options.hostname ?? '0.0.0.0',
    }) as Server;
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.once('error', reject);
    server.once('listening', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ server, port, close: (timeoutMs) => closeServer(server, timeoutMs) });
    });
  });
}

export function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
