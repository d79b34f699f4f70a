import { amqpEnv, baseEnv, databaseEnv, loadConfig, port, positiveInt } from '@ipp/platform';
import { z } from 'zod';

/** A comma-separated list of base URLs: the replicas of one service (a DNS name may add more). */
const urls = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1));
const urlList = (fallback: string) => z.string().default(fallback).pipe(urls);

const percent = (fallback: number) => z.coerce.number().min(0).max(100).default(fallback);

export const healthEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...amqpEnv,
  HEALTH_PORT: port(5103),
  STORAGE_DIR: z.string().min(1).default('./data'),
  GATEWAY_ADMIN_URL: urlList('http://127.0.0.1:5100'),
  PRODUCT_SERVICE_URL: urlList('http://127.0.0.1:5101'),
  UPLOAD_SERVICE_URL: urlList('http://127.0.0.1:5102'),
  IMAGE_WORKER_URL: urlList('http://127.0.0.1:5104'),
  /** The web app's replicas; unset, the web app is not checked (a platform may run without it). */
  WEB_APP_URL: urls.optional(),
  /** The auth service's replicas; unset, it is not checked (with AUTH_MODE off nothing needs it). */
  AUTH_SERVICE_URL: urls.optional(),
  HEALTH_CHECK_TIMEOUT_MS: positiveInt(1500),
  HEALTH_CACHE_MS: z.coerce.number().int().min(0).default(1000),
  HEALTH_BACKLOG_THRESHOLD: positiveInt(1000),
  HEALTH_DISK_THRESHOLD_PERCENT: percent(90),
};

export type HealthConfig = ReturnType<typeof loadHealthConfig>;

export function loadHealthConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(healthEnv, env);
}
