import type { ServerResponse } from 'node:http';
import { type ErrorCode, errorStatus, PROBLEM_CONTENT_TYPE } from '@ipp/contracts';
import { problemBody } from '@ipp/platform';

/** Answers with a problem+json body straight on the Node response; returns the bytes written. */
export function sendProblem(
  res: ServerResponse,
  code: ErrorCode,
  detail: string,
  requestId: string,
  headers: Record<string, string> = {},
): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const body = JSON.stringify(problemBody(code, detail, requestId));
  res.writeHead(errorStatus[code], {
    ...headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
  return Buffer.byteLength(body);
}
