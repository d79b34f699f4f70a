import { baseEnv, databaseEnv, httpUrl, loadConfig, port, positiveInt } from '@ipp/platform';
import { z } from 'zod';

const list = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** The gateway's environment; names and defaults are ARCHITECTURE.md's contract. */
export const gatewayEnv = {
  ...baseEnv,
  WEB_PORT: port(5000),
  GATEWAY_ADMIN_PORT: port(5100),
  PRODUCT_SERVICE_URL: httpUrl('http://127.0.0.1:5101'),
  UPLOAD_SERVICE_URL: httpUrl('http://127.0.0.1:5102'),
  HEALTH_SERVICE_URL: httpUrl('http://127.0.0.1:5103'),
  WEB_APP_URL: httpUrl('http://127.0.0.1:5106'),
  AUTH_SERVICE_URL: httpUrl('http://127.0.0.1:5105'),
  /** Unset: `writes` with API_KEYS alone (the simple mode: no auth service), else `off`. */
  AUTH_MODE: z.enum(['off', 'writes', 'all']).optional(),
  AUTH_REFRESH_INTERVAL_MS: positiveInt(1000),
  RATE_LIMIT_POINTS: positiveInt(100),
  RATE_LIMIT_DURATION_S: positiveInt(60),
  RATE_LIMIT_UPLOAD_POINTS: positiveInt(10),
  RATE_LIMIT_STORE: z.enum(['memory', 'redis', 'postgres']).default('memory'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  DATABASE_URL: databaseEnv.DATABASE_URL,
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).default(0),
  API_KEYS: list,
  CORS_ORIGINS: list,
  // The product service's own limit: it refuses a larger body before reading it, and the connection that carried
  // that body failed the next request the gateway sent on it (502).
  GATEWAY_MAX_BODY_BYTES: positiveInt(65_536),
  UPLOAD_MAX_BYTES: positiveInt(26_214_400),
  GATEWAY_UPSTREAM_TIMEOUT_MS: positiveInt(30_000),
  SSE_MAX_STREAMS_PER_CLIENT: positiveInt(10),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(gatewayEnv, env);
  return {
    ...config,
    AUTH_MODE: config.AUTH_MODE ?? (config.API_KEYS.length > 0 ? 'writes' : 'off'),
    /** Keys from the auth service: only when AUTH_MODE asks for keys itself. */
    managedKeys: config.AUTH_MODE === 'writes' || config.AUTH_MODE === 'all',
  };
}
