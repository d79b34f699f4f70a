// `npm start`: install if needed, check PostgreSQL and RabbitMQ, create the database, then run every
// service (each applies its own migrations on boot) with prefixed logs. Ctrl-C stops them all cleanly.
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
  const again = spawnSync(localNode, process.argv.slice(1), { stdio: 'inherit' });
  process.exit(again.status ?? 1);
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

const services = ['services/product', 'services/upload', 'services/image-worker', 'services/health', 'gateway']
  .map((dir) => ({ name: dir.split('/').pop(), entry: join(root, dir, 'src', 'main.ts') }))
  .filter((service) => existsSync(service.entry));

const colors = [36, 35, 33, 32, 34, 31];
const width = Math.max(...services.map((service) => service.name.length));
const children = new Map();
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children.values()) child.kill('SIGTERM');
}

services.forEach((service, index) => {
  const child = spawn(process.execPath, ['--import', '@ipp/platform/instrumentation', service.entry], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only this script, which stops each service once.
    detached: true,
  });
  const prefix = `\x1b[${colors[index % colors.length]}m${service.name.padEnd(width)} |\x1b[0m `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
  }
  children.set(service.name, child);
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      console.error(`${service.name} exited (${signal ?? code}); stopping the others`);
      stopAll(1);
    }
    if (children.size === 0) process.exit(process.exitCode ?? 0);
  });
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stopAll(0));

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
