// Helpers for integration tests: isolated databases and vhosts per test file, real service processes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dropDatabase, ensureDatabase } from '../database.ts';

const run = promisify(execFile);
export const TEST_PREFIX = `ipp_test_${process.env.IPP_TEST_RUN ?? 'adhoc'}`;
const ADMIN_DATABASE_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function uniqueName(label: string) {
  return `${TEST_PREFIX}_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
}

/** A fresh database of this test run's own; dropped by `drop()` and, at the latest, by the global teardown. */
export async function createTestDatabase(label: string) {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${uniqueName(label)}`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  return { url: databaseUrl, drop: () => dropDatabase(databaseUrl) };
}

/** A fresh RabbitMQ vhost, so queues of one test file never meet another's. */
export async function createTestVhost(label: string) {
  const vhost = uniqueName(label);
  await run('rabbitmqctl', ['-q', 'add_vhost', vhost]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const base = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  return {
    vhost,
    url: `${base}/${encodeURIComponent(vhost)}`,
    drop: () => run('rabbitmqctl', ['-q', 'delete_vhost', vhost]).then(() => undefined),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export type ServiceProcess = {
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
};

/**
 * Starts `entry` (a .ts file) as a real Node process with the instrumentation preloaded, and waits until
 * `readyUrl` answers 200.
 */
export async function startService(options: {
  entry: string | URL;
  env: Record<string, string>;
  readyUrl: string;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const entry = options.entry instanceof URL ? fileURLToPath(options.entry) : options.entry;
  const child = spawn(process.execPath, ['--import', '@ipp/platform/instrumentation', entry], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    return exited;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(options.readyUrl);
      if (response.ok) return { child, output: () => output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop('SIGKILL');
  throw new Error(`${entry} not ready at ${options.readyUrl} within the timeout:\n${output}`);
}

/** Polls `probe` until it returns something truthy and returns that; fails after `timeoutMs`. */
export async function until<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
export * from './sse.ts';
