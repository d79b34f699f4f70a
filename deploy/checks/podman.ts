// Runs podman with this machine's containers.conf. scripts/tools/podman.sh installs podman and writes that
// file; scripts/tools/base-images.sh builds the base images the Dockerfiles name (no registry is reachable).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repository, runAsync } from './tools.ts';

let environment: NodeJS.ProcessEnv | undefined;

/** Installs and configures podman and builds the base images, once per process (both are idempotent). */
export function preparePodman() {
  if (environment !== undefined) return;
  const script = (name: string, env?: NodeJS.ProcessEnv) =>
    execFileSync('bash', [`scripts/tools/${name}.sh`], {
      cwd: repository,
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  environment = { ...process.env, CONTAINERS_CONF: script('podman') };
  script('base-images', environment);
}

/** `podman ARGS` from the repository root; resolves with its exit code and output, never rejects on failure. */
export function podman(args: string[]) {
  if (environment === undefined) throw new Error('call preparePodman() first');
  return runAsync('podman', args, { env: environment });
}

/** `podman ARGS` that must succeed; returns its stdout. */
export async function succeed(args: string[]) {
  const result = await podman(args);
  if (result.code !== 0) {
    throw new Error(
      `podman ${args.join(' ')} failed (${result.code}):\n${(result.stdout + result.stderr).slice(-4000)}`,
    );
  }
  return result.stdout;
}

/** Builds a deployable's image from its Dockerfile (HEALTHCHECK kept by the docker format) as `tag`. The
 * sources do not change during a test run, so a deployable built once in the run (IPP_TEST_RUN) is only
 * tagged again for the next file that asks: every file runs the image built from the same commit. */
export async function buildImage(directory: string, tag: string) {
  const built = join(tmpdir(), `ipp-images-${process.env.IPP_TEST_RUN ?? process.pid}`, directory.replaceAll('/', '_'));
  const id = existsSync(built) ? readFileSync(built, 'utf8') : '';
  if (id !== '' && (await podman(['image', 'exists', id])).code === 0) {
    await succeed(['tag', id, tag]);
    return 'tagged';
  }
  await succeed([
    'build',
    '--pull=never',
    '--format',
    'docker',
    '--file',
    `${directory}/Dockerfile`,
    '--tag',
    tag,
    '.',
  ]);
  mkdirSync(dirname(built), { recursive: true });
  writeFileSync(built, (await succeed(['image', 'inspect', '--format', '{{.Id}}', tag])).trim());
  return 'built';
}
