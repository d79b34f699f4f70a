import { createHash, randomBytes } from 'node:crypto';
import { KEY_PREFIX } from '@ipp/contracts';

/** `ipp_` and at least 22 base64url characters (132 bits): what a key given from outside must look like. */
export const KEY_PATTERN = /^ipp_[A-Za-z0-9_-]{22,200}$/;

// The visible prefix: `ipp_` and 8 characters (48 bits) of the key, leaving 144 unknown bits of its 192.
const PREFIX_LENGTH = KEY_PREFIX.length + 8;

export function keyPrefix(key: string) {
  return key.slice(0, PREFIX_LENGTH);
}

/**
 * The stored form of a key. A plain SHA-256 suffices for 192 random bits (nothing to brute-force, unlike a
 * password), and a gateway can compute it on every request.
 */
export function keyHash(key: string) {
  return createHash('sha256').update(key).digest('hex');
}

/** A new key: `ipp_` and 24 random bytes in base64url (192 bits). */
export function mintKey() {
  const key = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  return { key, prefix: keyPrefix(key), sha256: keyHash(key) };
}
