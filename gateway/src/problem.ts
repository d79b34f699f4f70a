import type { ServerResponse } from 'node:http';
import { type ErrorCode, errorStatus, PROBLEM_CONTENT_TYPE } from '@ipp/contracts';
import { problemBody } from '@ipp/platform';

/** What an answer needs from its exchange: the request id, the gateway's own headers, the byte count. */
export type Answering = { requestId: string; headers: Record<string, string>; bytes: { out: number } };

/**
 * Answers with a problem+json body straight on the Node response, with the exchange's headers and
 * `extra`; counts the bytes. A response already under way is cut off instead.
 */
export function sendProblem(
  res: ServerResponse,
  exchange: Answering,
  code: ErrorCode,
  detail: string,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problemBody(code, detail, exchange.requestId));
  res.writeHead(errorStatus[code], {
    ...exchange.headers,
    ...extra,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
  exchange.bytes.out += Buffer.byteLength(body);
}
