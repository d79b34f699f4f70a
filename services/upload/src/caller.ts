import { KEY_ID_HEADER, VISIBILITY_HEADER } from '@ipp/contracts';

/**
 * Who is asking, as the gateway says (it strips these headers from every client): the key that owns what it
 * uploads (null: no key), and whether it sees every upload (`admin`, AUTH_MODE=off, or no gateway in between)
 * or only its own.
 */
export type Caller = { keyId: string | null; seesAll: boolean };

/** For reads after the caller's ownership is settled (the event feed of a stream already allowed). */
export const EVERY_CALLER: Caller = { keyId: null, seesAll: true };

export function callerOf(header: (name: string) => string | undefined): Caller {
  return { keyId: header(KEY_ID_HEADER) ?? null, seesAll: header(VISIBILITY_HEADER) !== 'own' };
}

/**
 * The condition on `request` (an `upload.requests` row) that keeps a caller to its own uploads, with its
 * parameter numbered from `next`. Another key's request is then simply not found: 404, never 403.
 */
export function ownerCondition(caller: Caller, next: number): { sql: string; params: string[] } {
  if (caller.seesAll) return { sql: 'TRUE', params: [] };
  if (caller.keyId === null) return { sql: 'request.owner_key_id IS NULL', params: [] };
  return { sql: `request.owner_key_id = $${next}`, params: [caller.keyId] };
}
