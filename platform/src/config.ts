import { z } from 'zod';

/** Env fragments every service composes its own schema from; the names are ARCHITECTURE.md's contract. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
export const boolFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const httpUrl = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);

export const baseEnv = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(300_000),
};

export const databaseEnv = {
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/image_processing'),
  DATABASE_POOL_MAX: positiveInt(10),
};

export const amqpEnv = {
  AMQP_URL: z.url({ protocol: /^amqps?$/ }).default('amqp://guest:guest@127.0.0.1:5672'),
};

const optionalText = z.string().min(1).optional();

export const storageEnv = {
  STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
  STORAGE_DIR: z.string().min(1).default('./data'),
  S3_BUCKET: optionalText,
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_FORCE_PATH_STYLE: boolFlag(false),
  S3_PREFIX: optionalText,
  FILES_DELIVERY: z.enum(['proxy', 'redirect']).default('proxy'),
  FILES_URL_TTL_S: positiveInt(900),
  FILES_PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  PUBLIC_BASE_URL: httpUrl('http://localhost:5000'),
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; a bad value throws naming every variable at fault. */
export function loadConfig<T extends z.ZodRawShape>(shape: T, env: NodeJS.ProcessEnv = process.env) {
  const clean = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = z.object(shape).safeParse(clean);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
