import { ApiKeySchema, CreatedKeySchema, KeySnapshotSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyHash } from './api-key.ts';
import { revokeKey } from './key-repository.ts';
import { createHarness, type Harness } from './testing/harness.ts';

describe('the keys API', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness('auth_keys');
  });
  afterAll(() => harness.close());

  it('creates a key, shows it once, and stores only its hash', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const { status, body } = await harness.call('POST', '/api/keys', {
      name: 'importer',
      scopes: ['uploads:read', 'uploads:write'],
      expires_at: expiresAt,
      rate_limit: { points: 7 },
    });
    expect(status).toBe(201);
    const created = CreatedKeySchema.parse(body);
    expect(created.key).toMatch(/^ipp_[A-Za-z0-9_-]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created).toMatchObject({ name: 'importer', scopes: ['uploads:read', 'uploads:write'] });
    expect(created.rate_limit).toEqual({ points: 7, upload_points: null });
    expect(Date.parse(created.expires_at ?? '')).toBe(Date.parse(expiresAt));

    const { rows } = await harness.pool.query('SELECT * FROM auth.keys WHERE id = $1', [created.id]);
    expect(rows[0].sha256).toBe(keyHash(created.key));
    expect(JSON.stringify(rows[0])).not.toContain(created.key.slice(12));

    const list = await harness.call('GET', '/api/keys');
    const listed = list.body.items.map((item: unknown) => ApiKeySchema.parse(item));
    expect(listed.find((key: { id: string }) => key.id === created.id)).toMatchObject({
      prefix: created.prefix,
      last_used_at: null,
      revoked_at: null,
    });
    expect(JSON.stringify(list.body)).not.toContain(created.key);
  });

  it('refuses an invalid key description with every field named, storing nothing', async () => {
    const before = (await harness.call('GET', '/api/keys')).body.total;
    const { status, body } = await harness.call('POST', '/api/keys', {
      name: '',
      scopes: ['everything'],
      expires_at: '2000-01-01T00:00:00Z',
      extra: 1,
    });
    expect(status).toBe(400);
    expect(body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      'expires_at',
      'extra',
      'name',
      'scopes.0',
    ]);
    expect((await harness.call('POST', '/api/keys', 'name=x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await harness.call('POST', '/api/keys', '{"name":')).status).toBe(400);
    expect((await harness.call('GET', '/api/keys')).body.total).toBe(before);
  });

  it('revokes a key: gone from the snapshot, kept in the list with its time; unknown ids are 404', async () => {
    const { body: created } = await harness.call('POST', '/api/keys', { name: 'short-lived', scopes: ['admin'] });
    const before = await harness.call('GET', '/internal/keys');
    expect(KeySnapshotSchema.parse(before.body).keys.map((key) => key.id)).toContain(created.id);

    expect((await harness.call('DELETE', `/api/keys/${created.id}`)).status).toBe(204);
    expect((await harness.call('DELETE', `/api/keys/${created.id}`)).status).toBe(204);
    expect((await harness.call('DELETE', '/api/keys/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await harness.call('DELETE', '/api/keys/not-a-uuid')).status).toBe(400);

    const after = await harness.call('GET', '/internal/keys');
    expect(after.body.keys.map((key: { id: string }) => key.id)).not.toContain(created.id);
    const listed = (await harness.call('GET', '/api/keys?per_page=100')).body.items;
    expect(listed.find((key: { id: string }) => key.id === created.id).revoked_at).not.toBeNull();
  });

  it('answers 304 to a gateway whose snapshot is current, and a new version once a key changes', async () => {
    const first = await harness.call('GET', '/internal/keys');
    const etag = first.headers.get('etag') ?? '';
    expect((await harness.call('GET', '/internal/keys', undefined, { 'if-none-match': etag })).status).toBe(304);
    await harness.call('POST', '/api/keys', { name: 'another', scopes: ['products:read'] });
    const changed = await harness.call('GET', '/internal/keys', undefined, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.keys[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives a new version to a revocation that commits after a later-started creation was polled', async () => {
    const { body: target } = await harness.call('POST', '/api/keys', { name: 'revoked late', scopes: ['admin'] });
    const revoking = await harness.pool.connect();
    try {
      // The revocation's transaction starts first (its now() is the earlier time) but commits last.
      await revoking.query('BEGIN');
      await revoking.query('SELECT now()');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await harness.call('POST', '/api/keys', { name: 'created meanwhile', scopes: ['products:read'] });
      const polled = await harness.call('GET', '/internal/keys');
      await revokeKey(revoking, target.id);
      await revoking.query('COMMIT');
      const next = await harness.call('GET', '/internal/keys', undefined, {
        'if-none-match': polled.headers.get('etag') ?? '',
      });
      expect(next.status).toBe(200);
      expect(next.body.keys.map((key: { id: string }) => key.id)).not.toContain(target.id);
    } finally {
      revoking.release();
    }
  });

  it('records last use as the gateways report it, never moving it backwards', async () => {
    const { body: created } = await harness.call('POST', '/api/keys', { name: 'used', scopes: ['products:read'] });
    const late = '2026-12-03T12:00:05.000Z';
    expect((await harness.call('POST', '/internal/keys/usage', { used: [{ id: created.id, at: late }] })).status).toBe(
      204,
    );
    await harness.call('POST', '/internal/keys/usage', { used: [{ id: created.id, at: '2026-12-03T12:00:00.000Z' }] });
    const listed = (await harness.call('GET', '/api/keys?per_page=100')).body.items;
    expect(listed.find((key: { id: string }) => key.id === created.id).last_used_at).toBe(late);
  });

  it('counts created and revoked keys on /metrics', async () => {
    const text = await harness.metrics.registry.metrics();
    expect(text).toMatch(/auth_keys_created_total\{service="auth"\} [4-9]/);
    expect(text).toMatch(/auth_keys_revoked_total\{service="auth"\} 1/);
    expect(text).toMatch(/auth_keys_active\{service="auth"\} \d+/);
  });
});
