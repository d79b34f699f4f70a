import type { Problem } from '@ipp/contracts';

/** What a page passes on from its own request: the visitor's key (never stored here) and the request id. */
export type Caller = { authorization?: string; requestId: string };

export type ApiResult<T> =
  | { ok: true; status: number; body: T }
  | { ok: false; status: number; problem: Problem; body?: unknown };

function problemOf(status: number, body: unknown, requestId: string): Problem {
  if (body && typeof body === 'object' && 'title' in body) return body as Problem;
  return { type: 'about:blank', title: 'The API could not be reached', status, detail: '', request_id: requestId };
}

/**
 * The public API, through the gateway: the only way the web app reads or writes anything. A page's
 * request id and the visitor's `Authorization` go along, so logs join up and keys stay the visitor's.
 */
export function createApiClient(options: { baseUrl: string; timeoutMs: number }) {
  const { baseUrl, timeoutMs } = options;

  function headersFor(caller: Caller, extra: Record<string, string> = {}) {
    return {
      accept: 'application/json',
      'x-request-id': caller.requestId,
      ...(caller.authorization ? { authorization: caller.authorization } : {}),
      ...extra,
    };
  }

  async function settle<T>(response: Response, caller: Caller): Promise<ApiResult<T>> {
    const body = await response.json().catch(() => undefined);
    if (response.ok) return { ok: true, status: response.status, body: body as T };
    return { ok: false, status: response.status, problem: problemOf(response.status, body, caller.requestId), body };
  }

  async function unreachable(error: unknown, caller: Caller): Promise<ApiResult<never>> {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      status: 502,
      problem: { ...problemOf(502, undefined, caller.requestId), detail },
    };
  }

  return {
    async get<T>(path: string, caller: Caller): Promise<ApiResult<T>> {
      try {
        const response = await fetch(new URL(path, baseUrl), {
          headers: headersFor(caller),
          signal: AbortSignal.timeout(timeoutMs),
        });
        return await settle<T>(response, caller);
      } catch (error) {
        return unreachable(error, caller);
      }
    },

    /** `POST /api/upload` with the form as the page rebuilt it; no time limit but the gateway's. */
    async upload<T>(body: FormData, caller: Caller): Promise<ApiResult<T>> {
      try {
        const response = await fetch(new URL('/api/upload', baseUrl), {
          method: 'POST',
          body,
          headers: headersFor(caller),
        });
        return await settle<T>(response, caller);
      } catch (error) {
        return unreachable(error, caller);
      }
    },

    /**
     * The gateway answers, whatever it answers: the one thing this app needs to serve. `/health/live` is the
     * health aggregator's, behind the gateway; a 502 while the aggregator is away must not take the pages down
     * (the health page is where an operator looks then).
     */
    async ready() {
      const response = await fetch(new URL('/health/live', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
