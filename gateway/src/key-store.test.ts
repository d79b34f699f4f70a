import { createLogger } from '@ipp/platform';
import { createTestDatabase, freePort, type ServiceProcess, startService } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore, type KeyStore } from './key-store.ts';

const logger = createLogger({ service: 'gateway-test', level: 'silent' });
const until = async (what: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('static keys (API_KEYS)', () => {
  const store = createKeyStore({ staticKeys: ['alpha-key', 'beta-key'], logger });

  it('accepts each as a bearer token with every scope, named by fingerprint, not by value', () => {
    const alpha = store.verify('Bearer alpha-key');
    const beta = store.verify('bearer beta-key');
    if (alpha.kind !== 'valid' || beta.kind !== 'valid') throw new Error('refused a configured key');
    expect(alpha.principal.id).toMatch(/^key:[0-9a-f]{16}$/);
    expect(alpha.principal.id).not.toBe(beta.principal.id);
    expect([...alpha.principal.scopes]).toContain('admin');
  });

  it('refuses unknown keys, other schemes and prefixes; no header is no key', () => {
    for (const header of ['Bearer gamma', 'Basic alpha-key', 'Bearer alpha', 'alpha-key', 'Bearer ipp_alpha-key']) {
      expect(store.verify(header).kind).toBe('invalid');
    }
    expect(store.verify(undefined).kind).toBe('none');
    expect(store.verify('').kind).toBe('none');
  });
});

describe('managed keys from the auth service', () => {
  let auth: ServiceProcess;
  let authUrl: string;
  let store: KeyStore;
  let drop: () => Promise<void>;
  const refreshes: string[] = [];

  // biome-ignore lint/suspicious/noExplicitAny: the test reads the auth service's answers field by field.
  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${authUrl}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return response.status === 204 ? null : response.json();
  };

  beforeAll(async () => {
    const database = await createTestDatabase('gateway_key_store');
    drop = database.drop;
    const port = await freePort();
    authUrl = `http://127.0.0.1:${port}`;
    auth = await startService({
      entry: new URL('../../services/auth/src/main.ts', import.meta.url),
      env: { AUTH_PORT: String(port), DATABASE_URL: database.url },
      readyUrl: `${authUrl}/health/ready`,
    });
    store = createKeyStore({
      authServiceUrl: authUrl,
      staticKeys: ['static-key'],
      refreshIntervalMs: 200,
      logger,
      onRefresh: (result) => refreshes.push(result),
    });
  });
  afterAll(async () => {
    store.stop();
    await auth.stop();
    await drop();
  });

  it('is not ready, and cannot verify a managed key, before the first snapshot; static keys still work', async () => {
    await expect(store.check()).rejects.toThrow('not loaded');
    expect(store.verify('Bearer ipp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').kind).toBe('unavailable');
    expect(store.verify('Bearer static-key').kind).toBe('valid');
    store.start();
    await until(() => refreshes.length > 0);
    await expect(store.check()).resolves.toBeUndefined();
  });

  it('verifies a new key with its scopes and limits, and refuses it once revoked', async () => {
    const created = await admin('POST', '/api/keys', {
      name: 'worker',
      scopes: ['uploads:write'],
      rate_limit: { upload_points: 3 },
    });
    await until(() => store.verify(`Bearer ${created.key}`).kind === 'valid');
    const verified = store.verify(`Bearer ${created.key}`);
    expect(verified).toMatchObject({ kind: 'valid', principal: { id: created.id, uploadPoints: 3 } });
    expect(verified.kind === 'valid' && [...verified.principal.scopes]).toEqual(['uploads:write']);
    // Same prefix, other secret: refused.
    expect(store.verify(`Bearer ${created.prefix}${'x'.repeat(24)}`).kind).toBe('invalid');

    await admin('DELETE', `/api/keys/${created.id}`);
    await until(() => store.verify(`Bearer ${created.key}`).kind === 'invalid');
    // Between changes the auth service answers 304 to the version the store holds.
    const seen = refreshes.length;
    await until(() => refreshes.length > seen + 1);
    expect(refreshes.slice(seen)).toContain('unchanged');
  });

  it('refuses a key from the moment it expires, without waiting for a refresh', async () => {
    const expiresAt = new Date(Date.now() + 1500);
    const created = await admin('POST', '/api/keys', {
      name: 'brief',
      scopes: ['products:read'],
      expires_at: expiresAt.toISOString(),
    });
    await until(() => store.verify(`Bearer ${created.key}`).kind === 'valid');
    await until(() => Date.now() >= expiresAt.getTime());
    expect(store.verify(`Bearer ${created.key}`)).toEqual({
      kind: 'invalid',
      detail: `The API key expired at ${expiresAt.toISOString()}`,
    });
  });

  it('reports when keys were last used', async () => {
    const created = await admin('POST', '/api/keys', { name: 'used', scopes: ['products:read'] });
    await until(() => store.verify(`Bearer ${created.key}`).kind === 'valid');
    const usedAt = Date.now();
    let listed: { last_used_at: string | null } | undefined;
    const deadline = Date.now() + 5000;
    while (!listed?.last_used_at && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const page = await admin('GET', '/api/keys?per_page=100');
      listed = page.items.find((key: { id: string }) => key.id === created.id);
    }
    expect(Math.abs(Date.parse(listed?.last_used_at ?? '') - usedAt)).toBeLessThan(1000);
  });
});
