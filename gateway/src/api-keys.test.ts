import { describe, expect, it } from 'vitest';
import { createApiKeyCheck, isWrite } from './api-keys.ts';

describe('createApiKeyCheck', () => {
  const check = createApiKeyCheck(['alpha-key', 'beta-key']);

  it('accepts each configured key as a bearer token and names it by fingerprint, not by value', () => {
    const alpha = check('Bearer alpha-key');
    const beta = check('bearer beta-key');
    expect(alpha).toMatch(/^key:[0-9a-f]{16}$/);
    expect(beta).toMatch(/^key:[0-9a-f]{16}$/);
    expect(alpha).not.toBe(beta);
    expect(alpha).not.toContain('alpha');
  });

  it('refuses unknown keys, other schemes, prefixes and missing headers', () => {
    for (const header of ['Bearer gamma', 'Basic alpha-key', 'Bearer alpha', 'alpha-key', '', undefined]) {
      expect(check(header)).toBeUndefined();
    }
  });

  it('accepts nothing when no keys are configured', () => {
    expect(createApiKeyCheck([])('Bearer anything')).toBeUndefined();
  });
});

describe('isWrite', () => {
  it('treats POST, PUT, PATCH and DELETE as writes', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].every(isWrite)).toBe(true);
    expect(['GET', 'HEAD', 'OPTIONS'].some(isWrite)).toBe(false);
  });
});
