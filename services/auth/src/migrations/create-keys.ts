import type { Migration } from '@ipp/platform/migrations';

/**
 * API keys, by the SHA-256 of the key (never the key). `updated_at` changes when a key is created or
 * revoked, not on last use. Rows are never deleted: the snapshot's version counts keys and revocations.
 */
export const createKeys: Migration = {
  up: [
    `CREATE TABLE auth.keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      prefix text NOT NULL,
      sha256 char(64) NOT NULL UNIQUE,
      name text NOT NULL,
      scopes text[] NOT NULL,
      rate_limit_points integer,
      rate_limit_upload_points integer,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`,
    'CREATE INDEX keys_created_at_idx ON auth.keys (created_at DESC, id DESC)',
  ],
};
