import type { AppEnv } from '@ipp/platform';
import type { Context } from 'hono';
import type { Caller } from './api-client.ts';

/** Who the page is calling the API for: the visitor's own `Authorization` (if any) and the request id. */
export function callerOf(c: Context<AppEnv>): Caller {
  const authorization = c.req.header('authorization');
  return { requestId: c.get('requestId'), ...(authorization ? { authorization } : {}) };
}
