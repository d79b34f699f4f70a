import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster of a test's own on its own port (initdb + pg_ctl into a temp dir, as the
 * postgres user since tests run as root), so a test can stop and restart it while the shared one serves.
 */
export async function createPostgresCluster(port: number) {
  const { stdout: bin } = await run('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']);
  const binary = (name: string) => join(bin.trim(), name);
  const directory = await mkdtemp(join(tmpdir(), 'ipp-pg-'));
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).then((ids) =>
    ids.map(({ stdout }) => Number(stdout.trim())),
  );
  const asPostgres = { uid, gid, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' } };
  await chown(directory, uid as number, gid as number);
  const data = join(directory, 'data');
  await run(
    binary('initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8'],
    asPostgres,
  );
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB`;
  const pgctl = (...args: string[]) => run(binary('pg_ctl'), ['-D', data, ...args], asPostgres);
  const cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => pgctl('start', '-w', '-s', '-l', join(directory, 'log'), '-o', options).then(() => undefined),
    stop: () => pgctl('stop', '-w', '-s', '-m', 'immediate').then(() => undefined),
    async destroy() {
      await cluster.stop().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
  return cluster;
}
