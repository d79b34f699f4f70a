import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyHash } from './api-key.ts';
import { ensureBootstrapKey } from './bootstrap.ts';
import { revokeKey } from './key-repository.ts';
import { createHarness, type Harness, testLogger } from './testing/harness.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('./keys-cli.ts', import.meta.url));

describe('the first admin key', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('auth_bootstrap');
  });
  afterAll(() => harness.close());

  const stored = async (key: string) =>
    (await harness.pool.query('SELECT scopes, revoked_at FROM auth.keys WHERE sha256 = $1', [keyHash(key)])).rows;

  it('stores BOOTSTRAP_ADMIN_KEY hashed, once, and leaves it revoked once revoked', async () => {
    const key = 'ipp_bootstrapbootstrapbootstrap01';
    const first = await ensureBootstrapKey(harness.pool, key, testLogger);
    expect(first?.scopes).toEqual(['admin']);
    expect(await ensureBootstrapKey(harness.pool, key, testLogger)).toBeUndefined();
    expect(await stored(key)).toEqual([{ scopes: ['admin'], revoked_at: null }]);
    await revokeKey(harness.pool, first?.id ?? '');
    await ensureBootstrapKey(harness.pool, key, testLogger);
    expect((await stored(key))[0].revoked_at).not.toBeNull();
  });

  it('npm run keys -- create --scope admin prints a new admin key once, stored only as its hash', async () => {
    const env = { ...process.env, DATABASE_URL: harness.databaseUrl };
    const { stdout, stderr } = await run(process.execPath, [cli, 'create', '--scope', 'admin', '--name', 'first'], {
      env,
    });
    const key = stdout.trim();
    expect(key).toMatch(/^ipp_[A-Za-z0-9_-]{32}$/);
    expect(stderr).toContain('shown once');
    expect(await stored(key)).toEqual([{ scopes: ['admin'], revoked_at: null }]);
    const { rows } = await harness.pool.query('SELECT id FROM auth.keys WHERE sha256 = $1', [keyHash(key)]);
    await run(process.execPath, [cli, 'revoke', rows[0].id], { env });
    expect((await stored(key))[0].revoked_at).not.toBeNull();
  });

  it('refuses a create without a valid scope, storing nothing', async () => {
    const env = { ...process.env, DATABASE_URL: harness.databaseUrl };
    const before = (await harness.pool.query('SELECT count(*)::int AS n FROM auth.keys')).rows[0].n;
    for (const args of [['create'], ['create', '--scope', 'root'], ['mint']]) {
      const failure = await run(process.execPath, [cli, ...args], { env }).catch((error) => error);
      expect(failure.code).toBe(2);
      expect(failure.stderr).toContain('usage: keys');
    }
    expect((await harness.pool.query('SELECT count(*)::int AS n FROM auth.keys')).rows[0].n).toBe(before);
  });
});
