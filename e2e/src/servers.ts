// Real HTTP servers on loopback for whole-stack tests: an image source and a webhook receiver.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export { until } from '@ipp/platform/testing';

async function listen(server: Server) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Serves each path's bytes with its content type; any other path is 404. */
export async function startImageServer(files: Record<string, { body: Buffer; type: string }>) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const file = files[request.url ?? ''];
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length }).end(file.body);
  });
  return { ...(await listen(server)), requests };
}

export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string };

/** Records every webhook; answers 500 to the first `failFirst` deliveries, then 204. */
export async function startWebhookReceiver({ failFirst = 0 } = {}) {
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (failures < failFirst) {
        failures += 1;
        response.writeHead(500).end();
      } else {
        response.writeHead(204).end();
      }
    });
  });
  return { ...(await listen(server)), received };
}
