// Sends one generated request over node:http and reads the whole answer (or, for an event stream, its head).
import { request as httpRequest } from 'node:http';
import type { FuzzRequest } from './requests.ts';

export type Answer = { status: number; headers: Headers; body: Buffer };

/**
 * node:http rather than fetch: it sends the headers as generated (repeated, over limits) and a body the
 * server stops reading, and it reads an answer that comes before the body is all sent (413).
 */
export function send(baseUrl: string, fuzz: FuzzRequest, timeoutMs = 20_000): Promise<Answer> {
  // Headers as a list keep repeated names; node:http then adds no Host of its own.
  const headers = ['host', new URL(baseUrl).host, ...fuzz.headers.flat()];
  if (fuzz.body) headers.push('content-length', String(fuzz.body.length));
  return new Promise((resolve, reject) => {
    // The target as generated: a URL string would have its dot segments resolved before sending.
    const { hostname, port } = new URL(baseUrl);
    const request = httpRequest(
      { hostname, port, path: fuzz.target, method: fuzz.method, headers, timeout: timeoutMs },
      (response) => {
        const received = new Headers();
        for (const [name, value] of Object.entries(response.headers)) received.set(name, String(value));
        const answer = (body: Buffer) => resolve({ status: response.statusCode ?? 0, headers: received, body });
        // A live stream has no end to wait for: its status and headers are the answer.
        if (received.get('content-type')?.startsWith('text/event-stream')) {
          answer(Buffer.alloc(0));
          request.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => answer(Buffer.concat(chunks)));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // The server may answer early (413) and close while the body is still being written: an error before the
    // answer fails the exchange only if no answer follows.
    request.on('error', (error) => setTimeout(() => reject(error), 1_000));
    request.end(fuzz.body);
  });
}
