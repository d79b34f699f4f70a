// Helpers for the gateway's tests: real upstream servers and an in-process gateway on 127.0.0.1.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { closeServer, createLogger } from '@ipp/platform';
import { createGateway, type GatewayOptions } from '../gateway.ts';
import { createGatewayMetrics } from '../gateway-metrics.ts';
import { listenPublic } from '../public-server.ts';
import { createRateLimits, type RateLimitOptions } from '../rate-limit.ts';

/** A real HTTP server standing in for a service; counts the TCP connections it accepted. */
export async function startUpstream(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handle);
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, connections: () => connections, close: () => closeServer(server, 100) };
}

/** Answers every request with what it received, as JSON. */
export function echo(name: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('x-powered-by', 'upstream');
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, bytes: body.length }),
      );
    });
  };
}

type TestGatewayOptions = Partial<Omit<GatewayOptions, 'logger' | 'metrics' | 'rateLimits' | 'upstreams'>> & {
  upstreams?: Partial<GatewayOptions['upstreams']>;
  rateLimit?: Omit<RateLimitOptions, 'logger'>;
  requestTimeoutMs?: number;
};

/** An in-process gateway on a free port whose log lines the test can read. */
export async function startGateway(options: TestGatewayOptions = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  const logger = createLogger({ service: 'gateway', level: 'info', destination });
  const metrics = createGatewayMetrics();
  const rateLimits = createRateLimits({ points: 1000, ...options.rateLimit, logger, onFallback: metrics.fellBack });
  const unused = 'http://127.0.0.1:9';
  const { requestTimeoutMs, ...gatewayOptions } = options;
  const gateway = createGateway({
    docs: {},
    ...gatewayOptions,
    upstreams: { product: unused, upload: unused, health: unused, auth: unused, ...gatewayOptions.upstreams },
    logger,
    metrics,
    rateLimits,
  });
  const server = await listenPublic(gateway.handle, { port: 0, hostname: '127.0.0.1', requestTimeoutMs });
  return {
    port: server.port,
    url: `http://127.0.0.1:${server.port}`,
    lines,
    metrics,
    closeStreams: gateway.closeStreams,
    close: async () => {
      await server.close(100);
      await gateway.close();
      await rateLimits.close();
    },
  };
}

export type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A raw HTTP request: unlike fetch, it sends the path exactly as written (dot segments and all). */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
