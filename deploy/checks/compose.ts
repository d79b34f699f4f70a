// Reads a compose file the way docker compose does before validating it: YAML with anchors and merge
// keys resolved, then every string interpolated from the environment (`${NAME}`, `${NAME:-default}`,
// `${NAME-default}`, `${NAME:?message}`, `${NAME?message}`, `${NAME:+value}`, `$$` for a literal `$`).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type ComposeService = {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  env_file?: unknown;
  volumes?: string[];
  networks?: string[];
  healthcheck?: { test: string[]; interval?: string; timeout?: string; start_period?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  deploy?: {
    replicas?: number;
    resources?: { limits?: { cpus?: string; memory?: string }; reservations?: { cpus?: string; memory?: string } };
    restart_policy?: { condition: string };
  };
  logging?: { driver: string; options?: Record<string, string> };
  read_only?: boolean;
  tmpfs?: string[];
  restart?: string;
  stop_grace_period?: string;
  hostname?: string;
};
export type ComposeFile = {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
  networks: Record<string, { name?: string; driver?: string }>;
};

export class InterpolationError extends Error {}

const reference =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(reference, (whole, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare ?? '';
    const value = env[name];
    const set = operator?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
    switch (operator?.replace(':', '')) {
      case '-':
        return set ? (value ?? '') : interpolate(argument, env);
      case '?':
        if (!set) throw new InterpolationError(`required variable ${name} is missing a value: ${argument}`);
        return value ?? '';
      case '+':
        return set ? interpolate(argument, env) : '';
      default:
        return value ?? '';
    }
  });
}

function interpolateAll(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
  }
  return value;
}

/** The file as written (anchors resolved, no interpolation). */
export function readCompose(path: string): ComposeFile {
  return parse(readFileSync(path, 'utf8'), { merge: true, uniqueKeys: true }) as ComposeFile;
}

/** The file as docker compose sees it with `env` as the environment and .env. */
export function loadCompose(path: string, env: Record<string, string | undefined>): ComposeFile {
  return interpolateAll(readCompose(path), env) as ComposeFile;
}

/** A compose duration (`1m30s`, `10s`, `500ms`) in seconds. */
export function durationSeconds(duration: string) {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map(([part]) => part).join('') !== duration)
    throw new Error(`not a duration: ${duration}`);
  return parts.reduce((total, [, value, unit]) => total + Number(value) * (units[unit ?? 's'] ?? 1), 0);
}

/** NAME=value lines of an env file, commented-out examples (`# NAME=value`) excluded. */
export function readEnvFile(path: string) {
  const entries = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1] ?? '', match[2] ?? ''] as const);
  return Object.fromEntries(entries);
}
