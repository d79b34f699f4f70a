import type { Migrations } from '@ipp/platform/migrations';
import { createRateLimits } from './create-rate-limits.ts';

/** Committed migrations of schema `gateway`, applied only with RATE_LIMIT_STORE=postgres; add, never edit. */
export const migrations: Migrations = {
  '20261203120000_create_rate_limits': createRateLimits,
};
