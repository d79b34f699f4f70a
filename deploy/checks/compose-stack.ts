// A compose project run for real: the Docker Compose CLI (scripts/tools/compose.sh) against podman's API
// (scripts/tools/compose-engine.sh, which also runs the healthchecks), the project's images built with podman
// and the third-party ones replaced by local stand-ins (scripts/tools/stand-in-images.sh).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@ipp/platform/testing';
import { deployables } from '../../scripts/tools/deployables.ts';
import { parseDockerfile } from '../../scripts/tools/dockerfile.ts';
import { buildImage, podman, preparePodman, succeed } from './podman.ts';
import { repository, runAsync } from './tools.ts';

export type ComposeContainer = { Service: string; Name: string; State: string; Health: string; ExitCode: number };

const script = (name: string, args: string[] = [], env?: NodeJS.ProcessEnv) =>
  execFileSync('bash', [`scripts/tools/${name}.sh`, ...args], {
    cwd: repository,
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();

/** The stand-ins the compose files get, as `<image> <version it really is>` lines; logs those whose major
 * version differs from the image's, as the test's output must say. */
export function standIns() {
  const lines = script('stand-in-images', [], { ...process.env, CONTAINERS_CONF: script('podman') }).split('\n');
  const versions = lines.map((line) => {
    const [image = '', version = ''] = line.split(' ');
    return { image, version };
  });
  const major = (version: string) => version.split('.')[0];
  for (const { image, version } of versions) {
    const tag = image.split(':')[1] ?? '';
    if (major(tag) !== major(version)) {
      console.warn(`stand-in for ${image} is version ${version}: major version differs from the image's ${tag}`);
    }
  }
  return versions;
}

/** Builds every deployable's image with podman under the name the compose files give it at `tag`. */
export async function buildImages(tag: string) {
  for (const [service, directory] of Object.entries(deployables)) {
    await buildImage(directory, `docker.io/image-processing/${service}:${tag}`);
  }
}

/** The engine for the Compose CLI: podman's API on a socket of this run, and the healthchecks. */
export async function startEngine() {
  preparePodman();
  const directory = mkdtempSync(join(tmpdir(), 'ipp-compose-engine-'));
  const socket = join(directory, 'podman.sock');
  let output = '';
  const child: ChildProcess = spawn('bash', ['scripts/tools/compose-engine.sh', socket], {
    cwd: repository,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await until(() => existsSync(socket) || child.exitCode !== null, { timeoutMs: 60_000, intervalMs: 200 });
  if (child.exitCode !== null) throw new Error(`compose-engine.sh exited with ${child.exitCode}:\n${output}`);
  return {
    dockerHost: `unix://${socket}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** An .env as deploy/README.md has the user make it: the example with its secrets set, plus `extra`. */
export function envFile(path: string, extra: Record<string, string>) {
  const secret = () => execFileSync('openssl', ['rand', '-hex', '16'], { encoding: 'utf8' }).trim();
  const values: Record<string, string> = {
    POSTGRES_PASSWORD: secret(),
    RABBITMQ_PASSWORD: secret(),
    WEBHOOK_SECRET: `whsec_${Buffer.from(secret()).toString('base64')}`,
    ...extra,
  };
  const example = readFileSync(join(repository, '.env.example'), 'utf8');
  const lines = example.split('\n').map((line) => {
    const name = /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
    return name !== undefined && name in values ? `${name}=${values[name]}` : line;
  });
  const written = new Set(lines.map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1]));
  for (const [name, value] of Object.entries(values)) if (!written.has(name)) lines.push(`${name}=${value}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/**
 * `docker compose` (the pinned CLI, built on first use) for one project: `-p project -f file --env-file env`
 * against the engine; `file` is relative to the repository.
 */
export function composeProject(options: {
  engine: { dockerHost: string };
  project: string;
  file: string;
  env: string;
}) {
  const binary = execFileSync('bash', ['scripts/tools/compose.sh'], { cwd: repository, encoding: 'utf8' }).trim();
  const base = ['--project-name', options.project, '--file', join(repository, options.file), '--env-file', options.env];
  const compose = (args: string[], timeoutMs = 900_000) =>
    runAsync(binary, [...base, ...args], {
      env: { ...process.env, DOCKER_HOST: options.engine.dockerHost },
      timeoutMs,
    });
  const must = async (args: string[], timeoutMs?: number) => {
    const result = await compose(args, timeoutMs);
    if (result.code !== 0) {
      throw new Error(
        `docker compose ${args.join(' ')} failed (${result.code}):\n${(result.stdout + result.stderr).slice(-6000)}`,
      );
    }
    return result.stdout;
  };
  /** The last lines of every service's log, or of `services`' only, for a failure's message. */
  const logs = async (services: string[] = []) => {
    const { stdout, stderr } = await compose(['logs', '--no-color', '--tail', '40', ...services]);
    return (stdout + stderr).slice(-12000);
  };
  return {
    compose,
    must,
    logs,
    /** Every container of the project, stopped ones included. */
    async containers(): Promise<ComposeContainer[]> {
      const text = await must(['ps', '--all', '--format', 'json']);
      // One JSON object per line (compose v2.21+), or one array.
      const trimmed = text.trim();
      if (trimmed.startsWith('[')) return JSON.parse(trimmed);
      return trimmed === '' ? [] : trimmed.split('\n').map((line) => JSON.parse(line));
    },
    /** The logs of the services of `containers` that exited with a code other than 0 (none: ''). */
    async uncleanLogs(containers: ComposeContainer[]) {
      const unclean = new Set(containers.filter((container) => container.ExitCode !== 0).map((c) => c.Service));
      return unclean.size ? logs([...unclean]) : '';
    },
    network: `${options.project}_image-processing-network`,
  };
}

/** A static file server for `files` (path → bytes) on the project's network, at http://<name>:8080. */
export async function startFileServer(name: string, network: string, files: Record<string, Buffer>) {
  const directory = mkdtempSync(join(tmpdir(), 'ipp-compose-files-'));
  // Readable by the container's `node` user (mkdtemp makes the directory 0700).
  chmodSync(directory, 0o755);
  for (const [path, body] of Object.entries(files)) writeFileSync(join(directory, path), body, { mode: 0o644 });
  // The node image the Dockerfiles build on (a local stand-in here).
  const [stage] = parseDockerfile(readFileSync(join(repository, 'gateway/Dockerfile'), 'utf8')).stages;
  const server = [
    "const types={jpg:'image/jpeg',png:'image/png',webp:'image/webp'};",
    "require('http').createServer((request,response)=>{",
    "const path='/srv'+new URL(request.url,'http://x').pathname;",
    "require('fs').readFile(path,(error,body)=>{",
    'if(error){response.writeHead(404);response.end();return;}',
    "response.writeHead(200,{'content-type':types[path.split('.').pop()]??'application/octet-stream'});",
    'response.end(body);});}).listen(8080);',
  ].join('');
  await succeed([
    'run',
    '--detach',
    '--name',
    name,
    '--network',
    network,
    '--read-only',
    '--user',
    'node',
    '--volume',
    `${directory}:/srv:ro`,
    stage?.base ?? 'node',
    'node',
    '-e',
    server,
  ]);
  return {
    url: `http://${name}:8080`,
    async stop() {
      await podman(['rm', '--force', '--time', '0', name]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Takes down what a compose check started, as far as its setup got: file server, project, engine, files. */
export async function tearDownCheck(parts: {
  files?: { stop(): Promise<void> };
  stack?: ReturnType<typeof composeProject>;
  engine?: { stop(): Promise<void> };
  directory: string;
}) {
  await parts.files?.stop();
  await parts.stack?.compose(['down', '--volumes', '--remove-orphans', '--timeout', '30']);
  await parts.engine?.stop();
  rmSync(parts.directory, { recursive: true, force: true });
}
