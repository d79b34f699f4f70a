import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server answering `/health/ready` like a service replica would, whose readiness a test
 * switches; it counts the probes it receives. With `storage`, its body carries a storage check as the
 * upload service's and the workers' do (down while the replica is not ready).
 */
export async function startReplica(version: string, options: { storage?: { driver: string; latencyMs: number } } = {}) {
  const replica = { ready: true, probes: 0, url: '', close: () => Promise.resolve() };
  const checks = () =>
    options.storage && {
      storage: {
        status: replica.ready ? 'ok' : 'down',
        latency_ms: options.storage.latencyMs,
        driver: options.storage.driver,
        ...(replica.ready ? {} : { error: 'connect ECONNREFUSED' }),
      },
    };
  const server = createServer((request, response) => {
    if (request.url !== '/health/ready') {
      response.writeHead(404).end();
      return;
    }
    replica.probes += 1;
    response.writeHead(replica.ready ? 200 : 503, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ status: replica.ready ? 'ok' : 'down', service: 'replica', version, checks: checks() }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  replica.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  replica.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return replica;
}
