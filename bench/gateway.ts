// Benchmark: the gateway's overhead, same run, same client (wrk).
//  (a) GET /api/products?page=1 straight to a real product service vs through the gateway;
//  (b) the gateway vs nginx proxying the same trivial upstream, rate limiting and request logs on.
// Writes bench/results/gateway.json and gateway.md. `node bench/gateway.ts upstream <port>` is the
// trivial upstream itself (a separate process, like a real service).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase } from '@ipp/platform';
import { freePort } from '@ipp/platform/testing';

const here = import.meta.dirname;
const root = path.join(here, '..');
// `--duration 3` for a quick look; the committed results use the defaults.
const { values: options } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } },
  allowPositionals: true,
});
const DURATION_S = Number(options.duration);
const CONNECTIONS = Number(options.connections);
const PATH = '/api/products?page=1';
const TARGETS = { products_throughput_ratio: 0.6, products_added_p50_ms: 2, nginx_throughput_ratio: 0.4 };

type Measurement = { requests_per_s: number; p50_ms: number; p99_ms: number; errors: number };

const work = path.join(tmpdir(), `ipp-bench-gateway-${process.pid}`);
const children: ChildProcess[] = [];

/** Starts a process with its output in a file (as in production, nothing is thrown away unwritten). */
function start(name: string, command: string, args: string[], env: Record<string, string> = {}) {
  const log = openSync(path.join(work, `${name}.log`), 'a');
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  children.push(child);
  return child;
}

function startNode(name: string, entry: string, env: Record<string, string>) {
  return start(name, process.execPath, ['--import', '@ipp/platform/instrumentation', entry], env);
}

async function waitFor(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (logs in ${work})`);
}

function milliseconds(value: string) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) throw new Error(`unreadable wrk latency ${value}`);
  const factor = { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
  return Math.round(Number(match[1]) * factor * 1000) / 1000;
}

/** One wrk run: a short warm-up, then DURATION_S seconds measured. */
function measure(label: string, url: string): Measurement {
  const wrk = (seconds: number) =>
    execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  wrk(3);
  const output = wrk(DURATION_S);
  const value = (pattern: RegExp) => pattern.exec(output)?.[1] ?? '';
  const result = {
    requests_per_s: Math.round(Number(value(/Requests\/sec:\s+([\d.]+)/))),
    p50_ms: milliseconds(value(/\s50%\s+(\S+)/)),
    p99_ms: milliseconds(value(/\s99%\s+(\S+)/)),
    errors:
      Number(value(/Non-2xx or 3xx responses:\s+(\d+)/) || 0) + Number(value(/Socket errors:.*timeout (\d+)/) || 0),
  };
  console.log(
    `${label.padEnd(34)} ${String(result.requests_per_s).padStart(7)} req/s  p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  errors ${result.errors}`,
  );
  return result;
}

function startGateway(productUrl: string, port: number, adminPort: number) {
  startNode('gateway', 'gateway/src/main.ts', {
    WEB_PORT: String(port),
    GATEWAY_ADMIN_PORT: String(adminPort),
    PRODUCT_SERVICE_URL: productUrl,
    // Limiting stays on (every request is counted) with a budget the bench never exhausts.
    RATE_LIMIT_STORE: 'memory',
    RATE_LIMIT_POINTS: '1000000000',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  });
  return waitFor(`http://127.0.0.1:${adminPort}/health/ready`);
}

async function startNginx(upstreamPort: number, port: number) {
  const directory = path.join(work, 'nginx');
  mkdirSync(directory, { recursive: true });
  // nginx's workers drop to an unprivileged user when started as root.
  chmodSync(directory, 0o777);
  const config = readFileSync(path.join(here, 'nginx', 'nginx.conf.template'), 'utf8')
    .replaceAll('{{DIR}}', directory)
    .replaceAll('{{WORKERS}}', '1')
    .replaceAll('{{UPSTREAM_PORT}}', String(upstreamPort))
    .replaceAll('{{PORT}}', String(port));
  writeFileSync(path.join(directory, 'nginx.conf'), config);
  start('nginx', '/usr/sbin/nginx', ['-c', path.join(directory, 'nginx.conf'), '-p', directory]);
  await waitFor(`http://127.0.0.1:${port}${PATH}`);
}

async function seedProducts(productUrl: string, count: number) {
  for (let index = 0; index < count; index += 1) {
    const response = await fetch(`${productUrl}/api/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        serial_number: `BENCH-${index}`,
        name: `Bench product ${index}`,
        description: 'Seeded by bench/gateway.ts',
      }),
    });
    if (response.status !== 201 && response.status !== 409)
      throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  }
}

const ratio = (part: number, whole: number) => Math.round((part / whole) * 1000) / 1000;
const percent = (value: number) => `${Math.round(value * 1000) / 10} %`;

async function main() {
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755);
  execFileSync(path.join(here, 'nginx', 'ensure-nginx.sh'), { stdio: 'inherit' });
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/ipp_bench_gateway_${process.pid}`;
  await ensureDatabase(databaseUrl);
  try {
    const [productPort, gatewayPort, adminPort, upstreamPort, nginxPort, trivialGatewayPort, trivialAdminPort] =
      (await Promise.all(Array.from({ length: 7 }, () => freePort()))) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
    const productUrl = `http://127.0.0.1:${productPort}`;
    startNode('product', 'services/product/src/main.ts', {
      PRODUCT_PORT: String(productPort),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
    });
    await waitFor(`${productUrl}/health/ready`, 60_000);
    await seedProducts(productUrl, 50);
    await startGateway(productUrl, gatewayPort, adminPort);

    console.log(`(a) ${PATH}, ${CONNECTIONS} connections, ${DURATION_S} s each`);
    const direct = measure('product service, direct', `${productUrl}${PATH}`);
    const throughGateway = measure('product service, through gateway', `http://127.0.0.1:${gatewayPort}${PATH}`);

    start('upstream', process.execPath, [path.join(here, 'gateway.ts'), 'upstream', String(upstreamPort)]);
    await waitFor(`http://127.0.0.1:${upstreamPort}${PATH}`);
    await startNginx(upstreamPort, nginxPort);
    await startGateway(`http://127.0.0.1:${upstreamPort}`, trivialGatewayPort, trivialAdminPort);
    console.log('(b) trivial upstream');
    const trivialDirect = measure('trivial upstream, direct', `http://127.0.0.1:${upstreamPort}${PATH}`);
    const nginx = measure('trivial upstream, through nginx', `http://127.0.0.1:${nginxPort}${PATH}`);
    const gateway = measure('trivial upstream, through gateway', `http://127.0.0.1:${trivialGatewayPort}${PATH}`);

    const results = {
      products_throughput_ratio: ratio(throughGateway.requests_per_s, direct.requests_per_s),
      products_added_p50_ms: Math.round((throughGateway.p50_ms - direct.p50_ms) * 1000) / 1000,
      nginx_throughput_ratio: ratio(gateway.requests_per_s, nginx.requests_per_s),
    };
    const pass = {
      products_throughput_ratio: results.products_throughput_ratio >= TARGETS.products_throughput_ratio,
      products_added_p50_ms: results.products_added_p50_ms < TARGETS.products_added_p50_ms,
      nginx_throughput_ratio: results.nginx_throughput_ratio >= TARGETS.nginx_throughput_ratio,
    };
    const nginxVersion =
      execFileSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() ||
      'nginx';
    const report = {
      benchmark: 'gateway',
      date: new Date().toISOString(),
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      client: `wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s (after a 3 s warm-up)`,
      setup: {
        gateway: 'one Node process, RATE_LIMIT_STORE=memory (every request counted), LOG_LEVEL=info, logs to a file',
        nginx: `${nginxVersion}, worker_processes 1, limit_req per client, JSON access_log to a file, upstream keepalive`,
        product: 'services/product/src/main.ts against its own PostgreSQL database, 50 products seeded, LOG_LEVEL=info',
      },
      products: { direct, gateway: throughGateway },
      trivial: { direct: trivialDirect, nginx, gateway },
      results,
      targets: TARGETS,
      pass,
    };
    writeFileSync(path.join(here, 'results', 'gateway.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(here, 'results', 'gateway.md'), markdown(report));
    console.log(JSON.stringify({ results, pass }));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await dropDatabase(databaseUrl).catch(() => undefined);
  }
}

function markdown(report: {
  date: string;
  machine: { cores: number; cpu: string; node: string };
  client: string;
  setup: Record<string, string>;
  products: Record<string, Measurement>;
  trivial: Record<string, Measurement>;
  results: typeof TARGETS;
  pass: Record<keyof typeof TARGETS, boolean>;
}) {
  const row = (name: string, measurement: Measurement) =>
    `| ${name} | ${measurement.requests_per_s} | ${measurement.p50_ms} | ${measurement.p99_ms} | ${measurement.errors} |`;
  const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  return `## Gateway overhead

${report.date}, ${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}; client: ${report.client}, client, servers and database on the same machine.
Setup: gateway — ${report.setup.gateway}; nginx — ${report.setup.nginx}; product — ${report.setup.product}.

| run | req/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|
${row('(a) product service, direct', report.products.direct as Measurement)}
${row('(a) product service, through the gateway', report.products.gateway as Measurement)}
${row('(b) trivial upstream, direct', report.trivial.direct as Measurement)}
${row('(b) trivial upstream, through nginx', report.trivial.nginx as Measurement)}
${row('(b) trivial upstream, through the gateway', report.trivial.gateway as Measurement)}

| measure | result | target | verdict |
|---|---|---|---|
| (a) gateway / direct throughput | ${percent(report.results.products_throughput_ratio)} | ≥ ${percent(TARGETS.products_throughput_ratio)} | ${verdict(report.pass.products_throughput_ratio)} |
| (a) p50 added by the gateway | ${report.results.products_added_p50_ms} ms | < ${TARGETS.products_added_p50_ms} ms | ${verdict(report.pass.products_added_p50_ms)} |
| (b) gateway / nginx throughput | ${percent(report.results.nginx_throughput_ratio)} | ≥ ${percent(TARGETS.nginx_throughput_ratio)} | ${verdict(report.pass.nginx_throughput_ratio)} |
`;
}

if (process.argv[2] === 'upstream') {
  const body = JSON.stringify({ items: [], page: 1, per_page: 10, total: 0, pages: 0 });
  createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }).listen(Number(process.argv[3]), '127.0.0.1').keepAliveTimeout = 65_000;
} else {
  await main();
}
