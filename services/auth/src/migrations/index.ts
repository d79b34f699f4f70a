import type { Migrations } from '@ipp/platform/migrations';
import { createKeys } from './create-keys.ts';

/** Committed migrations of schema `auth`, applied in name order; never edit one that has shipped, add a new one. */
export const migrations: Migrations = {
  '20261203140000_create_keys': createKeys,
};
