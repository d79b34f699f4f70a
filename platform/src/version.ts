import { readFileSync } from 'node:fs';

/** The running build's version: SERVICE_VERSION (set by images) or the root package.json's version. */
export function serviceVersion(): string {
  if (process.env.SERVICE_VERSION) return process.env.SERVICE_VERSION;
  try {
    const root = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(root, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
