import { type ErrorCode, requiredScope } from '@ipp/contracts';
import type { Principal, Verification } from './key-store.ts';

/** `off`: nothing needs a key (the keys API aside); `writes`: writes need one; `all`: every `/api` call. */
export type AuthMode = 'off' | 'writes' | 'all';

export type Access =
  | { allowed: true; principal: Principal | undefined }
  | { allowed: false; code: ErrorCode; detail: string; headers: Record<string, string> };

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CHALLENGE = 'Bearer realm="api"';

const refuse = (code: ErrorCode, detail: string, headers: Record<string, string>): Access => ({
  allowed: false,
  code,
  detail,
  headers,
});

function needsKey(mode: AuthMode, method: string, scope: string) {
  if (scope === 'admin') return true;
  if (mode === 'all') return true;
  return mode === 'writes' && WRITES.has(method);
}

/**
 * Whether a request may go on, from the auth mode, the scope its operation needs (none for health, files
 * and the documentation) and its key: 401 for a key that is missing where one is needed, or presented and
 * unknown, expired or revoked; 403 naming the scope a valid key lacks; 503 while keys are not loaded yet.
 */
export function decideAccess(mode: AuthMode, method: string, routeName: string, key: Verification): Access {
  const scope = requiredScope(method, routeName);
  const principal = key.kind === 'valid' ? key.principal : undefined;
  // With AUTH_MODE=off everything is open as before managed keys, and a bad key on an open route is ignored.
  if (!scope || (mode === 'off' && scope !== 'admin' && key.kind !== 'valid')) return { allowed: true, principal };
  const required = needsKey(mode, method, scope);
  switch (key.kind) {
    case 'none':
      if (!required) return { allowed: true, principal };
      return refuse('unauthorized', 'This request needs Authorization: Bearer <API key>', {
        'www-authenticate': CHALLENGE,
      });
    case 'invalid':
      return refuse('unauthorized', key.detail, { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` });
    case 'unavailable':
      return refuse('unavailable', 'API keys are not loaded yet; retry shortly', { 'retry-after': '1' });
    case 'valid':
      if (!required || key.principal.scopes.has(scope) || key.principal.scopes.has('admin')) {
        return { allowed: true, principal };
      }
      return refuse('forbidden', `This operation needs a key with the scope ${scope}`, {
        'www-authenticate': `${CHALLENGE}, error="insufficient_scope", scope="${scope}"`,
      });
  }
}
