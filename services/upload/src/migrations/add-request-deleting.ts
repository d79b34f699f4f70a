import type { Migration } from '@ipp/platform/migrations';

/**
 * `deleting_since`: a request being deleted (its objects first, then its rows) is hidden from every reader
 * and, when the deletion was cut short, claimed again by the deletion sweep once this is a lease old. The
 * indexes find the finished requests by age for the retention sweep, and the unfinished deletions.
 */
export const addRequestDeleting: Migration = {
  up: [
    'ALTER TABLE upload.requests ADD COLUMN deleting_since timestamptz',
    `CREATE INDEX requests_completed_at_idx ON upload.requests (completed_at)
     WHERE completed_at IS NOT NULL AND deleting_since IS NULL`,
    'CREATE INDEX requests_deleting_since_idx ON upload.requests (deleting_since) WHERE deleting_since IS NOT NULL',
  ],
};
