import { describe, expect, it } from 'vitest';
import { type AuthMode, decideAccess } from './access.ts';
import type { Principal, Verification } from './key-store.ts';

const keyWith = (...scopes: Principal['scopes'] extends ReadonlySet<infer S> ? S[] : never): Verification => ({
  kind: 'valid',
  principal: { id: 'k1', scopes: new Set(scopes) },
});
const none: Verification = { kind: 'none' };
const invalid: Verification = { kind: 'invalid', detail: 'The API key is unknown or revoked' };
const outcome = (mode: AuthMode, method: string, route: string, key: Verification) => {
  const access = decideAccess(mode, method, route, key);
  return access.allowed ? 'allowed' : `${access.code}`;
};

describe('decideAccess', () => {
  it('off: everything open, bad keys ignored; the keys API still needs admin', () => {
    expect(outcome('off', 'POST', '/api/upload', none)).toBe('allowed');
    expect(outcome('off', 'DELETE', '/api/products/*', invalid)).toBe('allowed');
    expect(outcome('off', 'GET', '/api/keys', none)).toBe('unauthorized');
    expect(outcome('off', 'GET', '/api/keys', keyWith('uploads:read'))).toBe('forbidden');
    expect(outcome('off', 'POST', '/api/keys', keyWith('admin'))).toBe('allowed');
  });

  it('writes: reads open, writes need a key with the write scope', () => {
    expect(outcome('writes', 'GET', '/api/products', none)).toBe('allowed');
    expect(outcome('writes', 'GET', '/api/uploads/*', keyWith('products:read'))).toBe('allowed');
    expect(outcome('writes', 'POST', '/api/upload', none)).toBe('unauthorized');
    expect(outcome('writes', 'POST', '/api/upload', keyWith('uploads:read'))).toBe('forbidden');
    expect(outcome('writes', 'POST', '/api/upload', keyWith('uploads:write'))).toBe('allowed');
    expect(outcome('writes', 'PUT', '/api/products/*', keyWith('products:write'))).toBe('allowed');
    expect(outcome('writes', 'GET', '/api/products', invalid)).toBe('unauthorized');
  });

  it('all: every /api call needs its scope; admin has every scope; health, files and docs never need a key', () => {
    expect(outcome('all', 'GET', '/api/products', none)).toBe('unauthorized');
    expect(outcome('all', 'GET', '/api/products', keyWith('uploads:read'))).toBe('forbidden');
    expect(outcome('all', 'GET', '/api/status/*', keyWith('uploads:read'))).toBe('allowed');
    expect(outcome('all', 'DELETE', '/api/uploads/*', keyWith('uploads:read'))).toBe('forbidden');
    expect(outcome('all', 'DELETE', '/api/products/*', keyWith('admin'))).toBe('allowed');
    for (const route of ['/health/*', '/files/*', '/api/openapi.json', '/problems/*']) {
      expect(outcome('all', 'GET', route, invalid)).toBe('allowed');
    }
  });

  it('names the missing scope in the 403 and its challenge', () => {
    const access = decideAccess('all', 'POST', '/api/products', keyWith('products:read'));
    expect(access).toMatchObject({
      allowed: false,
      code: 'forbidden',
      detail: 'This operation needs a key with the scope products:write',
      headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="products:write"' },
    });
  });

  it('answers 503 rather than 401 while managed keys are not loaded yet', () => {
    expect(outcome('all', 'GET', '/api/products', { kind: 'unavailable' })).toBe('unavailable');
  });
});
