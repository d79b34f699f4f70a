import { randomBytes } from 'node:crypto';
import {
  amqpEnv,
  baseEnv,
  ConfigError,
  databaseEnv,
  httpUrl,
  loadConfig,
  port,
  positiveInt,
  storageEnv,
} from '@ipp/platform';
import { fetchEnv } from '@ipp/platform/ssrf-guard';
import { z } from 'zod';
import { defaultStallTimeoutS } from './stalled-items.ts';

export const uploadEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...amqpEnv,
  ...storageEnv,
  UPLOAD_PORT: port(5102),
  PRODUCT_SERVICE_URL: httpUrl('http://127.0.0.1:5101'),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/, 'WEBHOOK_SECRET must be base64, optionally prefixed whsec_')
    .optional(),
  UPLOAD_MAX_BYTES: positiveInt(26_214_400),
  CSV_MAX_ROWS: positiveInt(10_000),
  FETCH_ALLOW_PRIVATE_NETWORKS: fetchEnv.FETCH_ALLOW_PRIVATE_NETWORKS,
  FETCH_TIMEOUT_MS: fetchEnv.FETCH_TIMEOUT_MS,
  /** Defaults from the retry schedule and FETCH_TIMEOUT_MS (stalled-items.ts). */
  ITEM_STALL_TIMEOUT_S: z.coerce.number().int().positive().optional(),
  ITEM_MAX_REPUBLISHES: z.coerce.number().int().min(0).default(2),
  ITEM_STALL_SWEEP_INTERVAL_S: positiveInt(30),
  /** Finished requests older than this many days are deleted with everything they stored; 0 keeps them. */
  UPLOAD_RETENTION_DAYS: z.coerce.number().int().min(0).default(0),
  /** The `: heartbeat` comment on open event streams (GET /api/uploads/{id}/events). */
  SSE_HEARTBEAT_INTERVAL_MS: positiveInt(15_000),
};

export type UploadConfig = ReturnType<typeof loadUploadConfig>;

/** The environment, validated once; production refuses to start without a webhook secret. */
export function loadUploadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(uploadEnv, env);
  if (!config.WEBHOOK_SECRET && config.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_SECRET: required in production');
  }
  return {
    ...config,
    WEBHOOK_SECRET: config.WEBHOOK_SECRET ?? `whsec_${randomBytes(24).toString('base64')}`,
    ITEM_STALL_TIMEOUT_S: config.ITEM_STALL_TIMEOUT_S ?? defaultStallTimeoutS(config.FETCH_TIMEOUT_MS),
  };
}
