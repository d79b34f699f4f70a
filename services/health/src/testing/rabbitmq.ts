import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

function accepts(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A throwaway RabbitMQ node of a test's own (its own node name, ports, config and data in a temp dir), so a
 * test can stop and restart it while the shared broker serves.
 */
export async function createRabbitNode(port: number, distributionPort: number) {
  const directory = await mkdtemp(join(tmpdir(), 'ipp-rabbit-'));
  await writeFile(join(directory, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\n`);
  await writeFile(join(directory, 'plugins'), '');
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: `ipp_test_${port}@localhost`,
    RABBITMQ_CONFIG_FILE: join(directory, 'rabbitmq.conf'),
    RABBITMQ_DIST_PORT: String(distributionPort),
    RABBITMQ_MNESIA_BASE: join(directory, 'mnesia'),
    RABBITMQ_LOG_BASE: join(directory, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(directory, 'plugins'),
    RABBITMQ_PID_FILE: join(directory, 'pid'),
  };
  const pid = async () => Number(await readFile(join(directory, 'pid'), 'utf8').catch(() => '0'));
  const alive = async () => {
    const current = await pid();
    if (!current) return false;
    try {
      process.kill(current, 0);
      return true;
    } catch {
      return false;
    }
  };
  const node = {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    async start() {
      spawn(SERVER, [], { env, stdio: 'ignore', detached: true }).unref();
      await waitFor(() => accepts(port), `RabbitMQ not listening on ${port}`);
    },
    async stop() {
      const current = await pid();
      if (current && (await alive())) process.kill(current, 'SIGTERM');
      await waitFor(async () => !(await alive()), 'RabbitMQ still running');
    },
    async destroy() {
      await node.stop().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
  return node;
}
