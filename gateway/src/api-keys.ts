import { createHash, timingSafeEqual } from 'node:crypto';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isWrite(method: string | undefined) {
  return method !== undefined && WRITE_METHODS.has(method);
}

function digest(value: string) {
  return createHash('sha256').update(value).digest();
}

/**
 * Checks `Authorization: Bearer <key>` against the configured keys. Keys are compared as SHA-256
 * digests with timingSafeEqual, so neither a key's content nor its length leaks through timing.
 * Returns a short fingerprint of the matching key (safe to log and to key rate limits by).
 */
export function createApiKeyCheck(keys: string[]) {
  const digests = keys.map(digest);
  return (authorization: string | undefined): string | undefined => {
    if (digests.length === 0 || !authorization || !/^bearer /i.test(authorization)) return undefined;
    const presented = digest(authorization.slice(7).trim());
    let match: Buffer | undefined;
    for (const candidate of digests) {
      if (timingSafeEqual(candidate, presented)) match = candidate;
    }
    return match && `key:${match.subarray(0, 8).toString('hex')}`;
  };
}
