// A real S3-compatible server for tests: versitygw (built by scripts/tools/versitygw.sh) on a loopback port
// over a temporary directory (its posix backend), with one bucket of the test file's own.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, until } from '../testing/index.ts';
import { createFsStorage } from './fs.ts';
import { createS3Storage } from './s3.ts';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../scripts/tools/versitygw.sh', import.meta.url));
const ACCESS_KEY = 'ipp-test-access';
const SECRET_KEY = 'ipp-test-secret-key';

let binary: Promise<string> | undefined;
/** The pinned binary's path; the script builds it into the tool cache the first time. */
const versitygwBinary = () => {
  binary ??= run('bash', [SCRIPT], { maxBuffer: 1 << 20 }).then(({ stdout }) => stdout.trim());
  return binary;
};

export type TestS3Server = Awaited<ReturnType<typeof startTestS3>>;

/** Starts versitygw with a fresh bucket; `stop()` / `start()` take it away and bring it back on the same port. */
export async function startTestS3(label: string) {
  const executable = await versitygwBinary();
  const root = await mkdtemp(path.join(tmpdir(), 'ipp-s3-'));
  const data = path.join(root, 'data');
  const iam = path.join(root, 'iam');
  await Promise.all([mkdir(data), mkdir(iam)]);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = `${label
    .replace(/[^a-z0-9]/gi, '-')
    .toLowerCase()
    .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  const env = {
    S3_BUCKET: bucket,
    S3_REGION: 'us-east-1',
    S3_ENDPOINT: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  };
  let child: ChildProcess | undefined;
  let output = '';

  async function start() {
    output = '';
    const started = spawn(executable, ['--port', `127.0.0.1:${port}`, '--iam-dir', iam, 'posix', data], {
      env: { ...process.env, ROOT_ACCESS_KEY: ACCESS_KEY, ROOT_SECRET_KEY: SECRET_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk));
    await until(
      async () => {
        if (started.exitCode !== null) throw new Error(`versitygw exited: ${output}`);
        return fetch(endpoint).then(
          () => true,
          () => false,
        );
      },
      { timeoutMs: 15_000 },
    );
  }

  async function stop() {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  await start();
  const client = new S3Client({
    region: env.S3_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();

  return {
    endpoint,
    bucket,
    /** The service environment that points at this server and bucket. */
    env,
    /** The options of `createS3Storage` for this server. */
    options: {
      bucket,
      region: env.S3_REGION,
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    },
    /** Where the posix backend keeps the bucket's objects. */
    bucketDir: path.join(data, bucket),
    start,
    stop,
    /** The server's process id while it runs (benchmarks read its CPU time). */
    pid: () => child?.pid,
    async close() {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The storage drivers every storage-touching test runs on, with the same bodies. */
export const STORAGE_DRIVERS = ['fs', 's3'] as const;
export type StorageDriver = (typeof STORAGE_DRIVERS)[number];

/**
 * Storage of a test's own: a temporary directory (fs), or a bucket on a versitygw of its own (s3). Either
 * way `root` is the directory the objects end up in (versitygw's posix backend keeps a bucket as files).
 */
export async function createTestStorage(label: string, driver: StorageDriver = 'fs') {
  if (driver === 's3') {
    const server = await startTestS3(label);
    return { storage: createS3Storage(server.options), root: server.bucketDir, server, close: () => server.close() };
  }
  const root = await mkdtemp(path.join(tmpdir(), 'ipp-storage-'));
  return {
    storage: createFsStorage(root),
    root,
    server: undefined,
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** The names of the files under `root/folder`, none when it does not exist (yet). */
export async function storedFiles(root: string, folder: string) {
  const entries = await readdir(path.join(root, folder), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}
