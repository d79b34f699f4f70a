// A PostgreSQL server of the test's own inside its network namespace, so it can be stopped (fast or
// immediate, as `pg_ctlcluster … stop -m` does) without disturbing the machine's server other tests use.
import { execFile } from 'node:child_process';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Network } from './network.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const PORT = 5432;

export async function startPostgres(network: Network) {
  const dir = await mkdtemp(join(tmpdir(), 'ipp-chaos-pg-'));
  const data = join(dir, 'data');
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  await chown(dir, Number(uid), Number(gid));
  const asPostgres = (command: string, ...args: string[]) =>
    run(network.exec[0], [...network.exec.slice(1), 'runuser', '-u', 'postgres', '--', join(BIN, command), ...args]);
  await asPostgres('initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync');
  // The services connect from the host's side of the veth pair.
  await appendFile(join(data, 'pg_hba.conf'), 'host all all 0.0.0.0/0 trust\n');
  const options = `-c listen_addresses=${network.address} -p ${PORT} -k ${dir} -c fsync=off`;
  const start = () => asPostgres('pg_ctl', '-D', data, '-l', join(dir, 'log'), '-o', options, '-w', 'start');
  const stop = (mode: 'fast' | 'immediate') => asPostgres('pg_ctl', '-D', data, '-m', mode, '-w', 'stop');
  await start();

  return {
    port: PORT,
    url: (database: string) => `postgres://postgres@${network.address}:${PORT}/${database}`,
    start,
    stop,
    async remove() {
      await stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
