import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorStatus, PROBLEM_CONTENT_TYPE } from '@ipp/contracts';
import { problemBody } from '@ipp/platform';
import { SECURITY_HEADERS } from './response-headers.ts';

// What node:http answers by itself to a request it could not parse, by error code (its own defaults).
const NODE_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * node:http's `clientError`: a request whose headers (request line included) pass the parser's limit is
 * answered as every other refusal is, a 431 problem+json with a request id, instead of Node's bare 431. Any
 * other unparseable request gets Node's own answer.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex) {
  const code = error.code ?? '';
  // As Node decides: answer unless a response on this connection has already begun.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    if (code === 'HPE_HEADER_OVERFLOW') {
      const requestId = randomUUID();
      const body = JSON.stringify(
        problemBody('headers_too_large', 'The request line and headers are larger than the server accepts', requestId),
      );
      const headers = {
        ...SECURITY_HEADERS,
        'content-type': PROBLEM_CONTENT_TYPE,
        'content-length': String(Buffer.byteLength(body)),
        'x-request-id': requestId,
        connection: 'close',
      };
      const status = errorStatus.headers_too_large;
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('')}\r\n${body}`,
      );
    } else {
      const status = NODE_STATUS[code] ?? 400;
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    }
  }
  socket.destroy(error);
}
