import type { Migration } from '@ipp/platform/migrations';

/**
 * The key that made each request (the gateway's key id; null for requests made without one, and for every
 * request made before keys had owners), and the index a key's own list is read by.
 */
export const addRequestOwner: Migration = {
  up: [
    'ALTER TABLE upload.requests ADD COLUMN owner_key_id text',
    'CREATE INDEX requests_owner_created_at_idx ON upload.requests (owner_key_id, created_at DESC, id DESC)',
  ],
};
