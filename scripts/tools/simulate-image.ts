// Simulates `docker build` + `docker run` of one deployable without a Docker engine: performs its
// Dockerfile's stages into a clean directory (build context filtered by .dockerignore, turbo prune,
// npm ci from the pruned lockfile), then starts the runtime stage's CMD from that tree as `nobody`, with
// the tree mounted read-only, runs the image's HEALTHCHECK until it passes, and stops the service with
// SIGTERM, which must end it with exit code 0.
//   usage: simulate-image.sh <gateway|product|upload|health|image-worker> [--keep]   (as root: it uses unshare)
// The service's variables come from this process's environment (like `docker run --env`), over the
// Dockerfile's ENV; STORAGE_DIR points at a fresh directory the service user owns. Prints a JSON report.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyBuildContext } from './build-context.ts';
import { deployables } from './deployables.ts';
import { execForm, expand, parseDockerfile, parsePairs, splitFlags } from './dockerfile.ts';

const repository = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nobody = { uid: 65534, gid: 65534 };
// Image metadata that changes no file of the tree (USER is applied as `nobody` at start).
const metadataKeywords = ['LABEL', 'EXPOSE', 'USER', 'STOPSIGNAL'];

function log(message: string) {
  process.stderr.write(`[simulate-image] ${message}\n`);
}

function elapsed(start: number) {
  return Math.round(performance.now() - start);
}

/** The host's copy of a library the image installs with apt (jemalloc), at the image's preload path. */
function hostLibrary(path: string) {
  if (existsSync(path)) return path;
  const found = readdirSync('/usr/lib', { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.endsWith('-linux-gnu'))
    .map((entry) => join('/usr/lib', entry.name, basename(path)))
    .find((candidate) => existsSync(candidate));
  if (found === undefined)
    throw new Error(`${basename(path)} is not installed on this machine (the image installs it)`);
  return found;
}

/** The host environment for RUN steps, minus what an outer `npm run`/`npx` exported (a docker build has
 * none of it), with the repository's pinned tools (node 24, turbo) first on the PATH. */
function buildEnvironment() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
  return { ...env, PATH: `${join(repository, 'node_modules', '.bin')}:${process.env.PATH}` };
}

function build(packageDir: string, work: string) {
  const dockerfile = parseDockerfile(readFileSync(join(repository, packageDir, 'Dockerfile'), 'utf8'));
  const context = join(work, 'context');
  const contextFiles = copyBuildContext(repository, context);
  const roots: Record<string, string> = {};
  const final = dockerfile.stages.at(-1);
  if (final === undefined) throw new Error(`${packageDir}/Dockerfile has no stage`);
  const result = { env: {} as Record<string, string>, workdir: '/', cmd: [] as string[], healthcheck: [] as string[] };
  const skipped: string[] = [];
  for (const stage of dockerfile.stages) {
    const root = join(work, 'stages', stage.name);
    roots[stage.name] = root;
    mkdirSync(root, { recursive: true });
    const args = { ...dockerfile.globalArgs };
    const env: Record<string, string> = {};
    let workdir = '/';
    for (const { keyword, args: raw, line } of stage.instructions) {
      const text = expand(raw, { ...args, ...env });
      if (keyword === 'ARG') {
        const [name = '', value = ''] = text.split('=');
        args[name] = args[name] ?? value;
      } else if (keyword === 'ENV') {
        Object.assign(env, parsePairs(text));
      } else if (keyword === 'WORKDIR') {
        workdir = posix.resolve(workdir, text);
        mkdirSync(join(root, workdir), { recursive: true });
      } else if (keyword === 'COPY') {
        const { flags, rest } = splitFlags(text);
        const [source = '', target = ''] = rest.split(/\s+/);
        const fromRoot = flags.from === undefined ? context : roots[flags.from];
        if (fromRoot === undefined) throw new Error(`line ${line}: no earlier stage ${flags.from}`);
        const from = join(fromRoot, source);
        cpSync(from, join(root, posix.resolve(workdir, target)), {
          recursive: true,
          verbatimSymlinks: true,
        });
      } else if (keyword === 'RUN') {
        const command = splitFlags(text).rest;
        // System setup of the runtime image (apt packages, /data ownership) is what the host provides
        // here: its libraries and a STORAGE_DIR owned by the service user.
        const system = stage === final || /^npm install --global /.test(command);
        if (system) {
          skipped.push(`line ${line}: ${command}`);
          continue;
        }
        const start = performance.now();
        execFileSync('/bin/sh', ['-c', command], {
          cwd: join(root, workdir),
          env: { ...buildEnvironment(), ...env },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        log(`${stage.name}: ${command} (${elapsed(start)} ms)`);
      } else if (keyword === 'CMD') {
        result.cmd = execForm(text);
      } else if (keyword === 'HEALTHCHECK') {
        result.healthcheck = execForm(text);
      } else if (!metadataKeywords.includes(keyword)) {
        // An instruction this simulation cannot perform would make it prove less than it claims.
        throw new Error(`line ${line}: ${keyword} is not simulated`);
      }
    }
    Object.assign(result, { env, workdir });
  }
  return { ...result, tree: join(work, 'stages', final.name, result.workdir), contextFiles, skipped };
}

function serviceEnvironment(imageEnv: Record<string, string>, storage: string) {
  const names = readFileSync(join(repository, '.env.example'), 'utf8').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm);
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', ...imageEnv };
  for (const [, name = ''] of names) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.STORAGE_DIR = storage;
  if (env.LD_PRELOAD) env.LD_PRELOAD = hostLibrary(env.LD_PRELOAD);
  return env;
}

/** Runs `command` as nobody in a mount namespace where `tree` is a read-only bind mount. */
function confined(tree: string, command: string[], env: Record<string, string>) {
  const node = process.execPath;
  const argv = command.map((part, index) => (index === 0 && part === 'node' ? node : part));
  const script = `mount --bind -o ro "$0" "$0" && cd "$0" && exec setpriv --reuid=${nobody.uid} --regid=${nobody.gid} --clear-groups -- "$@"`;
  return spawn('unshare', ['--mount', '/bin/sh', '-c', script, tree, ...argv], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function healthcheck(tree: string, command: string[], env: Record<string, string>, deadline: number) {
  while (Date.now() < deadline) {
    const child = confined(tree, command, env);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main() {
  const service = process.argv[2] ?? '';
  const packageDir = deployables[service];
  if (packageDir === undefined) throw new Error(`usage: simulate-image <${Object.keys(deployables).join('|')}>`);
  if (process.getuid?.() !== 0) throw new Error('run as root: the simulation drops to nobody inside a mount namespace');
  const work = mkdtempSync(join(tmpdir(), `simulate-${service}-`));
  chmodSync(work, 0o755);
  try {
    const buildStart = performance.now();
    const image = build(packageDir, work);
    const buildMs = elapsed(buildStart);
    execFileSync('chmod', ['-R', 'a-w', image.tree]);
    const storage = join(work, 'data');
    for (const folder of ['uploads', 'outputs', 'csv']) mkdirSync(join(storage, folder), { recursive: true });
    for (const folder of ['', 'uploads', 'outputs', 'csv']) chownSync(join(storage, folder), nobody.uid, nobody.gid);
    const env = serviceEnvironment(image.env, storage);
    const startAt = performance.now();
    const child = confined(image.tree, image.cmd, env);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const healthy = await healthcheck(image.tree, image.healthcheck, env, Date.now() + 60_000);
    const startMs = elapsed(startAt);
    child.kill('SIGTERM');
    const exitCode = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(resolve, 20_000, 'timeout')),
    ]);
    if (exitCode === 'timeout') child.kill('SIGKILL');
    const files = spawnSync('find', [image.tree, '-type', 'f', '-not', '-path', '*/node_modules/*'], {
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n')
      .map((file) => file.slice(image.tree.length + 1));
    const report = {
      service,
      healthy,
      exitCode,
      buildMs,
      startMs,
      contextFiles: image.contextFiles,
      sourceFiles: files.length,
      packages: files.filter((file) => file.endsWith('package.json')).map((file) => dirname(file)),
      devDependenciesPresent: ['vitest', 'typescript', '@biomejs/biome', 'turbo', 'node'].filter((name) =>
        existsSync(join(image.tree, 'node_modules', name)),
      ),
      testFilesPresent: files.filter((file) => file.endsWith('.test.ts')),
      skippedSystemSteps: image.skipped,
      output: healthy && exitCode === 0 ? output.slice(-2000) : output,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    if (!healthy || exitCode !== 0) process.exitCode = 1;
  } finally {
    if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
  }
}

await main();
