import { baseEnv, databaseEnv, loadConfig, port } from '@ipp/platform';
import { z } from 'zod';
import { KEY_PATTERN } from './api-key.ts';

export const authEnv = {
  ...baseEnv,
  ...databaseEnv,
  AUTH_PORT: port(5105),
  /** An admin key the service makes sure exists at start (stored hashed); unset: none. Never a default. */
  BOOTSTRAP_ADMIN_KEY: z
    .string()
    .regex(KEY_PATTERN, 'BOOTSTRAP_ADMIN_KEY must be ipp_ followed by at least 22 of A-Z a-z 0-9 _ -')
    .optional(),
};

export type AuthConfig = ReturnType<typeof loadAuthConfig>;

export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(authEnv, env);
}
