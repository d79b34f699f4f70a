// A RabbitMQ node of the test's own inside its network namespace (its own epmd there too), so its app or
// the whole node can be restarted without disturbing the machine's broker other tests use.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from '@ipp/platform/testing';
import type { Network } from './network.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/rabbitmq/bin';
const PORT = 5672;
const NODE = 'chaos@localhost';

export async function startRabbitmq(network: Network) {
  const dir = await mkdtemp(join(tmpdir(), 'ipp-chaos-rabbitmq-'));
  await mkdir(join(dir, 'mnesia'));
  await mkdir(join(dir, 'log'));
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  // guest may connect from the host's side of the veth pair, not only from loopback.
  await writeFile(
    join(dir, 'rabbitmq.conf'),
    `loopback_users = none\nlisteners.tcp.default = ${network.address}:${PORT}\n`,
  );
  const { stdout: uid } = await run('id', ['-u', 'rabbitmq']);
  const { stdout: gid } = await run('id', ['-g', 'rabbitmq']);
  for (const path of [
    dir,
    join(dir, 'mnesia'),
    join(dir, 'log'),
    join(dir, 'enabled_plugins'),
    join(dir, 'rabbitmq.conf'),
  ]) {
    await chown(path, Number(uid), Number(gid));
  }
  const env = {
    HOME: dir,
    RABBITMQ_NODENAME: NODE,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  const argv = (command: string, ...args: string[]) => [
    ...network.exec.slice(1),
    'runuser',
    '-u',
    'rabbitmq',
    '--',
    'env',
    ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
    join(BIN, command),
    ...args,
  ];
  const ctl = (...args: string[]) => run(network.exec[0], argv('rabbitmqctl', '-q', '-n', NODE, ...args));

  let server: ChildProcess | undefined;
  const startNode = async () => {
    server = spawn(network.exec[0], argv('rabbitmq-server'), { stdio: 'ignore' });
    await until(
      () =>
        ctl('await_startup').then(
          () => true,
          () => false,
        ),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  };
  await startNode();

  return {
    port: PORT,
    url: `amqp://guest:guest@${network.address}:${PORT}`,
    stopApp: () => ctl('stop_app').then(() => undefined),
    startApp: () => ctl('start_app').then(() => undefined),
    /** Stops the whole Erlang node (its data stays) and waits until its process has exited. */
    async stopNode() {
      const node = server;
      const exited = new Promise((resolve) => (node?.exitCode === null ? node.once('exit', resolve) : resolve(null)));
      await ctl('stop');
      await exited;
    },
    startNode,
    async remove() {
      await ctl('stop').catch(() => undefined);
      server?.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
