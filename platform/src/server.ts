import type { Server, ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export type HttpServer = { server: Server; port: number; close: (timeoutMs: number) => Promise<void> };

/** Node's own default: the bound on receiving a whole request (headers and body). */
export const REQUEST_TIMEOUT_MS = 300_000;

/**
 * Bounds on a slow client (slow loris): the headers must arrive within 66 s and the whole request within
 * `requestTimeoutMs`, else node:http answers 408 and closes the connection. Checked every tenth of the bound.
 * Kept-alive connections idle 65 s, longer than the usual load balancer's 60 s, so the server never closes first.
 */
export function serverOptions(requestTimeoutMs = REQUEST_TIMEOUT_MS): ServerOptions {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(66_000, requestTimeoutMs),
    keepAliveTimeout: 65_000,
    connectionsCheckingInterval: Math.min(30_000, Math.ceil(requestTimeoutMs / 10)),
  };
}

/** Listens and resolves once bound; `close` stops accepting, lets in-flight requests finish within a bound. */
export function listen(options: {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  port: number;
  hostname?: string;
  requestTimeoutMs?: number;
}): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: options.fetch,
      port: options.port,
      hostname: options.hostname ?? '0.0.0.0',
      serverOptions: serverOptions(options.requestTimeoutMs),
    }) as Server;
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
