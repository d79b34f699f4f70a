import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, type HttpServer, serverOptions } from '@ipp/platform';
import { answerClientError } from './client-error.ts';

/** A plain node:http server for the proxy path; resolves once bound. */
export function listenPublic(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  options: { port: number; hostname?: string; requestTimeoutMs?: number },
): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = createServer(serverOptions(options.requestTimeoutMs), handle);
    server.on('clientError', answerClientError);
    server.once('error', reject);
    server.listen(options.port, options.hostname ?? '0.0.0.0', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ server, port, close: (timeoutMs) => closeServer(server, timeoutMs) });
    });
  });
}
