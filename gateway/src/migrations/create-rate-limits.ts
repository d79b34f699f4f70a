import type { Migration } from '@ipp/platform/migrations';

/**
 * The shared counters of the `postgres` rate-limit store, in rate-limiter-flexible's layout. `IF NOT EXISTS`:
 * gateways before this migration created the same table at run time.
 */
export const createRateLimits: Migration = {
  up: [
    'CREATE TABLE IF NOT EXISTS gateway.rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)',
  ],
};
