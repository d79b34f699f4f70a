// One id per test run: every database and vhost a test creates carries it, and teardown drops them all.
// The S3 server the storage tests start is built here once (cached after), not inside a test's time limit.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export async function setup() {
  process.env.IPP_TEST_RUN ??= `${Date.now().toString(36)}${process.pid}`;
  process.env.FORCE_COLOR = '0';
  await run('bash', [new URL('./tools/versitygw.sh', import.meta.url).pathname]);
}

export async function teardown() {
  const prefix = `ipp_test_${process.env.IPP_TEST_RUN}`;
  const client = new pg.Client({
    connectionString: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${prefix}%`,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_vhosts', 'name']).catch(() => ({ stdout: '' }));
  for (const vhost of stdout.split('\n').filter((name) => name.startsWith(prefix))) {
    await run('rabbitmqctl', ['-q', 'delete_vhost', vhost]).catch(() => undefined);
  }
}
