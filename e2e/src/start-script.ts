// Runs `npm start`'s script as a real process against a database, vhost, storage and ports of its own.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, createTestVhost, freePort } from '@ipp/platform/testing';

const run = promisify(execFile);
const startScript = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));

export const SERVICE_NAMES = ['auth', 'product', 'upload', 'image-worker', 'health', 'web', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export async function runStartScript(label: string, extraEnv: Record<string, string> = {}) {
  const database = await createTestDatabase(label);
  await database.drop(); // the script creates it
  const vhost = await createTestVhost(label);
  const storage = await mkdtemp(join(tmpdir(), `ipp-${label}-`));
  const ports: Record<ServiceName, number> = {
    auth: await freePort(),
    product: await freePort(),
    upload: await freePort(),
    'image-worker': await freePort(),
    health: await freePort(),
    web: await freePort(),
    gateway: await freePort(),
  };
  const admin = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    AMQP_URL: vhost.url,
    STORAGE_DIR: storage,
    WEB_PORT: String(ports.gateway),
    GATEWAY_ADMIN_PORT: String(admin),
    GATEWAY_ADMIN_URL: `http://127.0.0.1:${admin}`,
    PRODUCT_PORT: String(ports.product),
    UPLOAD_PORT: String(ports.upload),
    HEALTH_PORT: String(ports.health),
    WORKER_PORT: String(ports['image-worker']),
    AUTH_PORT: String(ports.auth),
    AUTH_SERVICE_URL: `http://127.0.0.1:${ports.auth}`,
    PRODUCT_SERVICE_URL: `http://127.0.0.1:${ports.product}`,
    UPLOAD_SERVICE_URL: `http://127.0.0.1:${ports.upload}`,
    HEALTH_SERVICE_URL: `http://127.0.0.1:${ports.health}`,
    IMAGE_WORKER_URL: `http://127.0.0.1:${ports['image-worker']}`,
    WEB_APP_PORT: String(ports.web),
    WEB_APP_URL: `http://127.0.0.1:${ports.web}`,
    GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
    ...extraEnv,
  };
  const child = spawn(process.execPath, [startScript], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    output: () => output,
    ports,
    gateway: `http://127.0.0.1:${ports.gateway}`,
    /** Stops the script if it still runs, then drops what it used. */
    async close() {
      // SIGTERM first: the services run in process groups of their own and would outlive a SIGKILLed parent.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await Promise.allSettled([database.drop(), vhost.drop(), rm(storage, { recursive: true, force: true })]);
    },
  };
}

/** The pid of the process listening on this loopback TCP port, as the kernel reports it; undefined if none. */
export async function listenerPid(port: number): Promise<number | undefined> {
  const { stdout } = await run('ss', ['-Hltnp', `sport = :${port}`]);
  const pid = /pid=(\d+)/.exec(stdout)?.[1];
  return pid ? Number(pid) : undefined;
}
