// A network namespace of the test's own, joined to the host by a veth pair: the dependencies run inside
// it, the services outside, so the test can drop their packets (iptables in the namespace) without
// closing a connection, and without touching the host's own network rules.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Network = Awaited<ReturnType<typeof createNetwork>>;

export async function createNetwork() {
  const id = randomBytes(3).toString('hex');
  const name = `ipp-chaos-${id}`;
  const [hostSide, nsSide] = [`ipc${id}h`, `ipc${id}n`];
  const subnet = `10.${200 + ((randomBytes(1)[0] ?? 0) % 50)}.${randomBytes(1)[0]}`;
  const [hostAddress, address] = [`${subnet}.1`, `${subnet}.2`];
  const inside = (command: string, ...args: string[]) => run('ip', ['netns', 'exec', name, command, ...args]);

  await run('ip', ['netns', 'add', name]);
  try {
    await run('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
    await run('ip', ['link', 'set', nsSide, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostSide]);
    await run('ip', ['link', 'set', hostSide, 'up']);
    await inside('ip', 'addr', 'add', `${address}/30`, 'dev', nsSide);
    await inside('ip', 'link', 'set', nsSide, 'up');
    await inside('ip', 'link', 'set', 'lo', 'up');
  } catch (error) {
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    throw error;
  }

  const rule = (port: number) => ['-p', 'tcp', '--dport', String(port), '-j', 'DROP'];
  return {
    name,
    /** The address the dependencies listen on, reachable from the host. */
    address,
    /** The argv prefix that runs a command inside the namespace. */
    exec: ['ip', 'netns', 'exec', name] as const,
    /** Packets to `port` are silently dropped: connections hang, nothing is closed. */
    drop: (port: number) => inside('iptables', '-A', 'INPUT', ...rule(port)).then(() => undefined),
    restore: (port: number) => inside('iptables', '-D', 'INPUT', ...rule(port)).then(() => undefined),
    /** Kills whatever still runs inside, then deletes the namespace (and with it the veth pair). */
    async remove() {
      const { stdout } = await run('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }));
      for (const pid of stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await run('ip', ['netns', 'del', name]).catch(() => undefined);
      await run('ip', ['link', 'del', hostSide]).catch(() => undefined);
    },
  };
}
