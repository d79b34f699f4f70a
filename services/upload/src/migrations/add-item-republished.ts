import type { Migration } from '@ipp/platform/migrations';

/**
 * How many times the stalled-items sweep has published an item's job again, and an index that finds the
 * unfinished items by age without reading the finished ones.
 */
export const addItemRepublished: Migration = {
  up: [
    'ALTER TABLE upload.items ADD COLUMN republished integer NOT NULL DEFAULT 0',
    "CREATE INDEX items_unfinished_idx ON upload.items (updated_at) WHERE status IN ('queued', 'processing')",
  ],
};
