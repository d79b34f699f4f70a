// Helpers for tests that misbehave as clients do: raw HTTP/1.1 over node:net, cut off at a chosen byte.
import { connect, type Socket } from 'node:net';

/** The bytes of an HTTP/1.1 request; `Content-Length` is the body's unless `headers` names one. */
export function rawRequest(options: {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}) {
  const url = new URL(options.url);
  const body = Buffer.from(options.body ?? '');
  const headers: Record<string, string> = { host: url.host, connection: 'close', ...options.headers };
  if (
    options.body !== undefined &&
    !Object.keys(headers).some((name) => /^(content-length|transfer-encoding)$/i.test(name))
  ) {
    headers['content-length'] = String(body.length);
  }
  const head = `${options.method} ${url.pathname}${url.search} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes the first `cut` bytes of `bytes`, lets the server read them for `settleMs`, then resets the
 * connection as a client that went away does. Resolves with whatever the server answered meanwhile.
 */
export async function sendAndCut(url: string, bytes: Buffer, cut: number, settleMs = 50) {
  const socket = await open(url);
  const answer: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => answer.push(chunk));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.write(bytes.subarray(0, cut), () => resolve()));
  await pause(settleMs);
  socket.resetAndDestroy();
  return Buffer.concat(answer).toString('latin1');
}

/**
 * Sends the whole request and resets the connection once `afterBytes` bytes of the answer have arrived
 * (a client that leaves while the response streams). Resolves with the bytes read.
 */
export async function readAndCut(url: string, bytes: Buffer, afterBytes: number, timeoutMs = 10_000) {
  const socket = await open(url);
  socket.on('error', () => undefined);
  socket.write(bytes);
  let read = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fewer than ${afterBytes} bytes answered`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read >= afterBytes) done();
    });
    socket.once('close', done);
  });
  socket.resetAndDestroy();
  return read;
}

/**
 * Sends `firstBytes` of `bytes` at once, then the rest a few at a time every `intervalMs` (a slow-loris
 * client) until the server closes the connection; resolves with its answer and how many bytes were sent.
 */
export async function trickle(
  url: string,
  bytes: Buffer,
  options: { intervalMs: number; chunkBytes?: number; firstBytes?: number },
) {
  const socket = await open(url);
  const answer: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => answer.push(chunk));
  socket.on('error', () => undefined);
  let sent = options.firstBytes ?? 0;
  socket.write(bytes.subarray(0, sent));
  const timer = setInterval(() => {
    if (sent >= bytes.length || socket.destroyed) return;
    const next = bytes.subarray(sent, sent + (options.chunkBytes ?? 1));
    sent += next.length;
    socket.write(next);
  }, options.intervalMs);
  await new Promise((resolve) => socket.once('close', resolve));
  clearInterval(timer);
  return { answer: Buffer.concat(answer).toString('latin1'), sent };
}
