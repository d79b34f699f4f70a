import { blockedCause, checkUrl, createGuardedAgent, type NetworkPolicy } from '@ipp/platform/ssrf-guard';
import { request } from 'undici';
import { ProcessingError, permanent, transient } from './processing-error.ts';

export type FetchLimits = { policy: NetworkPolicy; timeoutMs: number; maxBytes: number; maxRedirects: number };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Network failures worth another attempt later; anything else unknown is retried too, within the attempt cap. */
const PERMANENT_NETWORK_CODES = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/**
 * Downloads image sources safely: every hop's address is checked at connect time by the guarded agent,
 * redirects are followed by hand (each one checked), the whole download is bounded by one timeout, and
 * the size limit is enforced on the bytes received, whatever Content-Length says.
 */
export function createSourceFetcher(limits: FetchLimits) {
  const agent = createGuardedAgent(limits.policy);

  async function download(url: string): Promise<Buffer> {
    const signal = AbortSignal.timeout(limits.timeoutMs);
    let current = url;
    try {
      for (let hop = 0; hop <= limits.maxRedirects; hop++) {
        const target = checkUrl(current, limits.policy);
        const response = await request(target, {
          dispatcher: agent,
          method: 'GET',
          signal,
          headers: { accept: 'image/*,*/*;q=0.5', 'user-agent': 'ipp-image-worker/1' },
        });
        const location = response.headers.location;
        if (REDIRECTS.has(response.statusCode) && typeof location === 'string') {
          await response.body.dump();
          current = new URL(location, target).toString();
          continue;
        }
        if (response.statusCode >= 400) {
          await response.body.dump();
          throw httpFailure(response.statusCode, target);
        }
        return await readLimited(response.body, response.headers['content-length'], limits.maxBytes);
      }
      throw permanent('too_many_redirects', `more than ${limits.maxRedirects} redirects`);
    } catch (error) {
      throw classify(error, signal, limits.timeoutMs);
    }
  }

  // On shutdown, downloads still running are cut: their jobs go back to the queue unacked.
  return { download, close: () => agent.destroy() };
}

type Body = AsyncIterable<Buffer> & { destroy(): void; on(event: 'error', listener: () => void): void };

/** Drops the connection; undici reports the abort as an error event nobody needs. */
function discard(body: Body) {
  body.on('error', () => undefined);
  body.destroy();
}

async function readLimited(body: Body, declared: unknown, maxBytes: number) {
  if (Number(declared) > maxBytes) {
    discard(body);
    throw permanent('source_too_large', `the source declares ${declared} bytes; the limit is ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > maxBytes) {
      discard(body);
      throw permanent('source_too_large', `the source is larger than the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}

function httpFailure(status: number, url: URL) {
  const where = `${url.origin}${url.pathname}`;
  if (status === 404 || status === 410)
    return permanent('source_not_found', `the source answered ${status} (${where})`);
  if (status === 408 || status === 429 || status >= 500) {
    return transient('source_unavailable', `the source answered ${status} (${where})`);
  }
  return permanent('source_rejected', `the source answered ${status} (${where})`);
}

function classify(error: unknown, signal: AbortSignal, timeoutMs: number): ProcessingError {
  if (error instanceof ProcessingError) return error;
  const blocked = blockedCause(error);
  if (blocked) return permanent('blocked_address', blocked.message, error);
  if (signal.aborted) return transient('source_timeout', `the source did not answer within ${timeoutMs} ms`, error);
  const code = String((error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (PERMANENT_NETWORK_CODES.has(code))
    return permanent('source_unreachable', `cannot reach the source: ${message}`, error);
  return transient('source_unreachable', `cannot reach the source (${code || 'error'}): ${message}`, error);
}
