import type { Logger, Queryable } from '@ipp/platform';
import { keyHash, keyPrefix } from './api-key.ts';
import { insertKey } from './key-repository.ts';

/**
 * Makes sure BOOTSTRAP_ADMIN_KEY exists as an admin key (stored hashed, like any other). A key with the same
 * hash is left as it is: once revoked, the bootstrap key stays revoked even if the variable is still set.
 */
export async function ensureBootstrapKey(db: Queryable, key: string, logger: Logger) {
  const created = await insertKey(
    db,
    { prefix: keyPrefix(key), sha256: keyHash(key) },
    {
      name: 'bootstrap admin key',
      scopes: ['admin'],
    },
  );
  if (created) logger.info({ key_id: created.id, prefix: created.prefix }, 'bootstrap admin key stored');
  return created;
}
