// `npm start`: install if needed, check PostgreSQL and RabbitMQ, create the database, then run every
// service (each applies its own migrations on boot) with prefixed logs, restarting one that exits
// unexpectedly. Ctrl-C (or SIGTERM, SIGHUP) stops them all cleanly.
// Plain JavaScript so that it also runs on the system Node.js before dependencies are installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const localNode = join(root, 'node_modules', '.bin', 'node');

if (!existsSync(localNode)) {
  console.log('Installing dependencies (npm ci)…');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
if (process.versions.node.split('.')[0] !== '24') {
  // Run again on Node 24, passing on the signals that stop it (a terminal's Ctrl-C reaches both anyway).
  const again = spawn(localNode, process.argv.slice(1), { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => again.kill(signal));
  again.on('exit', (code) => process.exit(code ?? 1));
  await new Promise(() => undefined); // the rest of this file runs in that process
}

if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));
const env = process.env;
const databaseUrl = env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/image_processing';
const amqpUrl = env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

/** Resolves when host:port accepts a TCP connection within the timeout. */
function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function redact(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

const dependencies = [
  {
    name: 'PostgreSQL',
    url: databaseUrl,
    port: 5432,
    how: 'start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (or `bash scripts/services-up.sh`), or set DATABASE_URL',
  },
  {
    name: 'RabbitMQ',
    url: amqpUrl,
    port: 5672,
    how: 'start it with `rabbitmq-server -detached` (or `bash scripts/services-up.sh`), or set AMQP_URL',
  },
];
for (const dependency of dependencies) {
  if (!(await reachable(dependency.url, dependency.port))) {
    console.error(`Cannot reach ${dependency.name} at ${redact(dependency.url)}: ${dependency.how}.`);
    process.exit(1);
  }
}

const { ensureDatabase } = await import('../platform/src/database.ts');
try {
  await ensureDatabase(databaseUrl);
} catch (error) {
  console.error(`Cannot use the database at ${redact(databaseUrl)}: ${error.message}`);
  process.exit(1);
}

const services = [
  'services/auth',
  'services/product',
  'services/upload',
  'services/image-worker',
  'services/health',
  'services/web',
  'gateway',
]
  // restarts: since the service last ran for STABLE_AFTER_MS; crashesAtStart: in a row.
  .map((dir) => ({
    name: dir.split('/').pop(),
    entry: join(root, dir, 'src', 'main.ts'),
    restarts: 0,
    crashesAtStart: 0,
  }))
  .filter((service) => existsSync(service.entry));

// Restart policy, as compose's `restart: unless-stopped` and Kubernetes' back-off would: a service that exits
// unexpectedly is started again after a delay that doubles from RESTART_FIRST_DELAY_MS up to
// RESTART_MAX_DELAY_MS, and starts again from the first delay once a run has lasted STABLE_AFTER_MS. One that
// exits within CRASH_AT_START_MS of starting CRASHES_AT_START_LIMIT times in a row is given up on; the others
// keep running. START_RESTART_DELAY_MS (tests only) replaces the first delay.
const RESTART_FIRST_DELAY_MS = Number(env.START_RESTART_DELAY_MS) || 1000;
const RESTART_MAX_DELAY_MS = 30_000;
const STABLE_AFTER_MS = 60_000;
const CRASH_AT_START_MS = 10_000;
const CRASHES_AT_START_LIMIT = 5;

const colors = [36, 35, 33, 32, 34, 31];
const width = Math.max(...services.map((service) => service.name.length));
const children = new Map();
const restartTimers = new Set();
// Keeps the script up until a signal even when no service is left running (every one given up on).
const keepAlive = setInterval(() => undefined, 1 << 30);
let stopping = false;

/** A line of the script's own, on stderr in bold red so it stands out among the services' JSON. */
function alert(message) {
  console.error(`\x1b[1;31m${message}\x1b[0m`);
}

function exitWhenAllStopped() {
  if (children.size === 0) process.exit(process.exitCode ?? 0);
}

function stopAll() {
  if (stopping) return;
  stopping = true;
  clearInterval(keepAlive);
  for (const timer of restartTimers) clearTimeout(timer);
  for (const child of children.values()) child.kill('SIGTERM');
  exitWhenAllStopped();
}

function run(service, index) {
  const child = spawn(process.execPath, ['--import', '@ipp/platform/instrumentation', service.entry], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only this script, which stops each service once.
    detached: true,
  });
  const startedAt = Date.now();
  const prefix = `\x1b[${colors[index % colors.length]}m${service.name.padEnd(width)} |\x1b[0m `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
  }
  children.set(service.name, child);
  // 'close' rather than 'exit': the service's last lines have been read by then.
  child.on('close', (code, signal) => {
    children.delete(service.name);
    if (stopping) {
      if (code !== 0) process.exitCode = 1;
      return exitWhenAllStopped();
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const ranMs = Date.now() - startedAt;
    if (ranMs >= STABLE_AFTER_MS) service.restarts = 0;
    service.crashesAtStart = ranMs < CRASH_AT_START_MS ? service.crashesAtStart + 1 : 0;
    if (service.crashesAtStart >= CRASHES_AT_START_LIMIT) {
      process.exitCode = 1;
      return alert(
        `${service.name} exited (${how}) within ${CRASH_AT_START_MS / 1000} s of starting ${CRASHES_AT_START_LIMIT} times in a row; giving up on it. The other services keep running; Ctrl-C stops them.`,
      );
    }
    const delayMs = Math.min(RESTART_FIRST_DELAY_MS * 2 ** service.restarts, RESTART_MAX_DELAY_MS);
    service.restarts += 1;
    alert(`${service.name} exited unexpectedly (${how}); restarting it in ${delayMs / 1000} s`);
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      run(service, index);
    }, delayMs);
    restartTimers.add(timer);
  });
}

services.forEach(run);

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stopAll);

const gatewayPort = env.WEB_PORT || '5000';
if (children.has('gateway')) {
  // Announce once the whole platform is ready, as the health aggregator sees it through the gateway.
  const readyUrl = `http://127.0.0.1:${gatewayPort}/health/ready`;
  const deadline = Date.now() + 90_000;
  let ready = false;
  while (!stopping && !ready && Date.now() < deadline) {
    ready = await fetch(readyUrl).then(
      (response) => response.ok,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (ready) {
    console.log(
      `\nPlatform running: gateway on http://localhost:${gatewayPort} (API docs: /api/docs). Ctrl-C stops it.\n`,
    );
  } else if (!stopping) {
    console.error(`\nThe platform is not ready yet; see ${readyUrl} for what is missing.\n`);
  }
}
