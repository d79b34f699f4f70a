import type { ApiKey, CreatedKey, CreateKey, KeySnapshot, KeyUsage, Scope } from '@ipp/contracts';
import type { Queryable } from '@ipp/platform';
import { mintKey } from './api-key.ts';

type KeyRow = {
  id: string;
  prefix: string;
  sha256: string;
  name: string;
  scopes: Scope[];
  rate_limit_points: number | null;
  rate_limit_upload_points: number | null;
  expires_at: Date | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const iso = (value: Date | null) => value?.toISOString() ?? null;

function keyOf(row: KeyRow): ApiKey {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    scopes: row.scopes,
    rate_limit: { points: row.rate_limit_points, upload_points: row.rate_limit_upload_points },
    expires_at: iso(row.expires_at),
    created_at: row.created_at.toISOString(),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  };
}

/** Stores a key given as its hash and prefix; undefined when a key with the same hash exists already. */
export async function insertKey(
  db: Queryable,
  hashed: { prefix: string; sha256: string },
  fields: CreateKey,
): Promise<ApiKey | undefined> {
  const { rows } = await db.query<KeyRow>(
    `INSERT INTO auth.keys (prefix, sha256, name, scopes, expires_at, rate_limit_points, rate_limit_upload_points)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING RETURNING *`,
    [
      hashed.prefix,
      hashed.sha256,
      fields.name,
      fields.scopes,
      fields.expires_at ?? null,
      fields.rate_limit?.points ?? null,
      fields.rate_limit?.upload_points ?? null,
    ],
  );
  return rows[0] && keyOf(rows[0]);
}

/** Mints and stores a new key: the one time the key itself exists outside its holder's hands. */
export async function createKey(db: Queryable, fields: CreateKey): Promise<CreatedKey> {
  const minted = mintKey();
  const stored = await insertKey(db, minted, fields);
  // 192 random bits never collide; a duplicate here is a broken random source.
  if (!stored) throw new Error('a minted key collided with a stored one');
  const { last_used_at: _used, revoked_at: _revoked, ...shown } = stored;
  return { ...shown, key: minted.key };
}

export async function listKeys(db: Queryable, page: number, perPage: number) {
  const [list, count] = await Promise.all([
    db.query<KeyRow>('SELECT * FROM auth.keys ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2', [
      perPage,
      (page - 1) * perPage,
    ]),
    db.query<{ total: number }>('SELECT count(*)::int AS total FROM auth.keys'),
  ]);
  return { items: list.rows.map(keyOf), total: count.rows[0]?.total ?? 0 };
}

/**
 * Revokes a key: `revoked` now, `unchanged` when it already was (it keeps its first revocation time), or
 * undefined when no key has this id.
 */
export async function revokeKey(db: Queryable, id: string): Promise<'revoked' | 'unchanged' | undefined> {
  const revoked = await db.query(
    'UPDATE auth.keys SET revoked_at = now(), updated_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [id],
  );
  if (revoked.rowCount === 1) return 'revoked';
  const existing = await db.query('SELECT 1 FROM auth.keys WHERE id = $1', [id]);
  return existing.rowCount === 1 ? 'unchanged' : undefined;
}

/**
 * A version of every key a gateway holds: it changes whenever a key is created or revoked. Counts, not
 * times: keys are never deleted nor unrevoked, so both only grow, whatever order transactions commit in
 * (a `max(updated_at)` missed a revocation whose transaction started before a creation polled meanwhile).
 */
export async function snapshotVersion(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ version: string }>(
    `SELECT count(*)::text || '-' || count(revoked_at)::text AS version FROM auth.keys`,
  );
  return rows[0]?.version ?? '0-0';
}

/** Every key a gateway may accept: not revoked, not expired (a gateway checks expiry again itself). */
export async function activeKeys(db: Queryable): Promise<KeySnapshot> {
  const { rows } = await db.query<KeyRow>(
    'SELECT * FROM auth.keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
  );
  return {
    keys: rows.map((row) => ({
      id: row.id,
      prefix: row.prefix,
      sha256: row.sha256,
      scopes: row.scopes,
      expires_at: iso(row.expires_at),
      rate_limit: { points: row.rate_limit_points, upload_points: row.rate_limit_upload_points },
    })),
  };
}

/** Records the gateways' reports of last use; a late report never moves a time backwards. */
export async function recordUsage(db: Queryable, usage: KeyUsage) {
  if (usage.used.length === 0) return;
  await db.query(
    `UPDATE auth.keys SET last_used_at = greatest(last_used_at, used.at)
     FROM unnest($1::uuid[], $2::timestamptz[]) AS used (id, at) WHERE auth.keys.id = used.id`,
    [usage.used.map((entry) => entry.id), usage.used.map((entry) => entry.at)],
  );
}
