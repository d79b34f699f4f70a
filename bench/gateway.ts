// Benchmark: the gateway's overhead, same run, same client (wrk).
//  (a) GET /api/products?page=1 straight to a real product service vs through the gateway;
//  (b) the gateway vs nginx proxying the same trivial upstream, rate limiting and request logs on;
//  (c) the gateway with AUTH_MODE=all and a valid managed API key on every request vs the same gateway
//      with auth off, on the same trivial upstream (issue 16: at least 95 % of the throughput).
// The runs being compared alternate for several rounds and the medians are reported, so a burst of
// load from elsewhere on the machine cannot favour one side. Writes bench/results/gateway.json and
// gateway.md. `node bench/gateway.ts upstream <port>` is the trivial upstream itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dropDatabase, ensureDatabase } from '@ipp/platform';
import { freePort } from '@ipp/platform/testing';
import { cpuTicks, createProcesses } from './processes.ts';
import { machine, median, runSettings } from './report.ts';

const here = import.meta.dirname;
const settings = runSettings({ durationS: 10, rounds: 3, connections: 32 });
const { positionals } = settings;
const DURATION_S = settings.durationS;
const ROUNDS = settings.rounds;
const CONNECTIONS = settings.connections;
const PATH = '/api/products?page=1';
// Latency is measured at a fixed rate well below either side's capacity, so it shows what the extra
// hop costs a request rather than how long requests queue once the machine is saturated.
const PACED_RATE = 50;
const TARGETS = {
  products_throughput_ratio: 0.6,
  products_added_p50_ms: 2,
  nginx_throughput_ratio: 0.4,
  auth_throughput_ratio: 0.95,
};

type Measurement = {
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  /** CPU time the proxy process(es) spent per request (user + system), when a proxy was measured. */
  proxy_cpu_us_per_request?: number;
};

const work = path.join(tmpdir(), `ipp-bench-gateway-${process.pid}`);
const { start, startNode, waitFor, stopAll } = createProcesses(work);

/** nginx's master and its workers. */
function processTree(parent: number) {
  const pids = [parent];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(fields[1]) === parent) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function milliseconds(value: string) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) throw new Error(`unreadable wrk latency ${value}`);
  const factor = { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
  return Math.round(Number(match[1]) * factor * 1000) / 1000;
}

/** One wrk run: a short warm-up, then DURATION_S seconds measured. */
function measure(label: string, url: string, proxyPids: number[] = [], headers: string[] = []): Measurement {
  const headerArgs = headers.flatMap((header) => ['-H', header]);
  const wrk = (seconds: number) =>
    execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...headerArgs, url], {
      encoding: 'utf8',
    });
  wrk(2);
  const ticksBefore = cpuTicks(proxyPids);
  const output = wrk(DURATION_S);
  const ticks = cpuTicks(proxyPids) - ticksBefore;
  const value = (pattern: RegExp) => pattern.exec(output)?.[1] ?? '';
  const requests = Number(value(/(\d+) requests in/));
  const result: Measurement = {
    requests_per_s: Math.round(Number(value(/Requests\/sec:\s+([\d.]+)/))),
    p50_ms: milliseconds(value(/\s50%\s+(\S+)/)),
    p99_ms: milliseconds(value(/\s99%\s+(\S+)/)),
    errors:
      Number(value(/Non-2xx or 3xx responses:\s+(\d+)/) || 0) + Number(value(/Socket errors:.*timeout (\d+)/) || 0),
    ...(proxyPids.length ? { proxy_cpu_us_per_request: Math.round((ticks * 10_000) / requests) } : {}),
  };
  const cpu =
    result.proxy_cpu_us_per_request === undefined ? '' : `  proxy CPU ${result.proxy_cpu_us_per_request} µs/req`;
  console.log(
    `${label.padEnd(34)} ${String(result.requests_per_s).padStart(7)} req/s  p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  errors ${result.errors}${cpu}`,
  );
  return result;
}

type Latency = { rate_per_s: number; requests: number; p50_ms: number; p99_ms: number; errors: number };

function timedGet(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(String(res.statusCode))),
      );
    }).on('error', reject);
  });
}

/** PACED_RATE requests a second for DURATION_S seconds (after a 1 s warm-up); exact percentiles. */
async function paced(label: string, url: string): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    let errors = 0;
    const pending: Promise<unknown>[] = [];
    const started = performance.now();
    for (let index = 0; index < PACED_RATE * seconds; index += 1) {
      const wait = started + (index * 1000) / PACED_RATE - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(
        timedGet(url, agent).then(
          (ms) => latencies.push(ms),
          () => (errors += 1),
        ),
      );
    }
    await Promise.all(pending);
    return { latencies: latencies.sort((left, right) => left - right), errors };
  };
  await run(1);
  const { latencies, errors } = await run(DURATION_S);
  agent.destroy();
  const percentile = (share: number) =>
    Math.round((latencies[Math.floor(latencies.length * share)] ?? 0) * 1000) / 1000;
  const result = {
    rate_per_s: PACED_RATE,
    requests: latencies.length,
    p50_ms: percentile(0.5),
    p99_ms: percentile(0.99),
    errors,
  };
  console.log(
    `${label.padEnd(34)} ${PACED_RATE} req/s paced  p50 ${result.p50_ms} ms  p99 ${result.p99_ms} ms  errors ${errors}`,
  );
  return result;
}

/** The per-field median of several rounds of the same run. */
function medianOf(runs: Measurement[]): Measurement {
  const field = (name: keyof Measurement) => median(runs.map((run) => run[name] ?? 0));
  return {
    requests_per_s: field('requests_per_s'),
    p50_ms: field('p50_ms'),
    p99_ms: field('p99_ms'),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    ...(runs[0]?.proxy_cpu_us_per_request === undefined
      ? {}
      : { proxy_cpu_us_per_request: field('proxy_cpu_us_per_request') }),
  };
}

/** Alternates the runs for ROUNDS rounds; returns every round and the medians. */
function compare(runs: Record<string, () => Measurement>, count = ROUNDS) {
  const rounds: Record<string, Measurement[]> = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
  for (let round = 0; round < count; round += 1) {
    for (const [name, run] of Object.entries(runs)) rounds[name]?.push(run());
  }
  const medians = Object.fromEntries(Object.entries(rounds).map(([name, list]) => [name, medianOf(list)]));
  return { rounds, medians };
}

function startGateway(productUrl: string, port: number, adminPort: number, env: Record<string, string> = {}) {
  const child = startNode(env.AUTH_MODE ? 'gateway-auth' : 'gateway', 'gateway/src/main.ts', {
    WEB_PORT: String(port),
    GATEWAY_ADMIN_PORT: String(adminPort),
    PRODUCT_SERVICE_URL: productUrl,
    // Limiting stays on (every request is counted) with a budget the bench never exhausts.
    RATE_LIMIT_STORE: 'memory',
    RATE_LIMIT_POINTS: '1000000000',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    ...env,
  });
  return waitFor(`http://127.0.0.1:${adminPort}/health/ready`).then(() => child.pid as number);
}

/**
 * The auth service on the bench's database with a bootstrap admin key, a gateway with AUTH_MODE=all that polls
 * it, and a managed key (products:read) minted through that gateway: what (c) sends on every request.
 */
async function startKeyedGateway(options: {
  databaseUrl: string;
  upstreamUrl: string;
  authPort: number;
  port: number;
  adminPort: number;
}) {
  const bootstrap = `ipp_${randomBytes(24).toString('base64url')}`;
  const authUrl = `http://127.0.0.1:${options.authPort}`;
  startNode('auth', 'services/auth/src/main.ts', {
    AUTH_PORT: String(options.authPort),
    DATABASE_URL: options.databaseUrl,
    BOOTSTRAP_ADMIN_KEY: bootstrap,
    LOG_LEVEL: 'info',
  });
  await waitFor(`${authUrl}/health/ready`, 60_000);
  const pid = await startGateway(options.upstreamUrl, options.port, options.adminPort, {
    AUTH_MODE: 'all',
    AUTH_SERVICE_URL: authUrl,
  });
  const gatewayUrl = `http://127.0.0.1:${options.port}`;
  const minted = await fetch(`${gatewayUrl}/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bootstrap}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scopes: ['products:read'] }),
  });
  if (minted.status !== 201) throw new Error(`minting the bench key failed: ${minted.status} ${await minted.text()}`);
  const { key } = (await minted.json()) as { key: string };
  // The gateway learns of the key at its next poll.
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${gatewayUrl}${PATH}`, { headers: { authorization: `Bearer ${key}` } })).status !== 200) {
    if (Date.now() > deadline) throw new Error('the gateway never accepted the bench key');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { pid, key };
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
  const child = start('nginx', '/usr/sbin/nginx', ['-c', path.join(directory, 'nginx.conf'), '-p', directory]);
  await waitFor(`http://127.0.0.1:${port}${PATH}`);
  return processTree(child.pid as number);
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
    if (response.status !== 201 && response.status !== 409) {
      throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
    }
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
    const ports = [];
    for (let index = 0; index < 12; index += 1) ports.push(await freePort());
    const [productPort, gatewayPort, adminPort, upstreamPort, nginxPort, trivialGatewayPort, trivialAdminPort] = ports;
    const [authPort, authGatewayPort, authAdminPort, openGatewayPort, openAdminPort] = ports.slice(7);
    const productUrl = `http://127.0.0.1:${productPort}`;
    startNode('product', 'services/product/src/main.ts', {
      PRODUCT_PORT: String(productPort),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
    });
    await waitFor(`${productUrl}/health/ready`, 60_000);
    await seedProducts(productUrl, 50);
    await startGateway(productUrl, gatewayPort as number, adminPort as number);

    console.log(`(a) ${PATH}, ${CONNECTIONS} connections, ${DURATION_S} s a run, ${ROUNDS} rounds`);
    const products = compare({
      direct: () => measure('product service, direct', `${productUrl}${PATH}`),
      gateway: () => measure('product service, through gateway', `http://127.0.0.1:${gatewayPort}${PATH}`),
    });

    const latencyRounds: Record<'direct' | 'gateway', Latency[]> = { direct: [], gateway: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      latencyRounds.direct.push(await paced('product service, direct', `${productUrl}${PATH}`));
      latencyRounds.gateway.push(
        await paced('product service, through gateway', `http://127.0.0.1:${gatewayPort}${PATH}`),
      );
    }
    const latencyMedian = (list: Latency[]) => ({
      ...(list[0] as Latency),
      p50_ms: median(list.map((entry) => entry.p50_ms)),
      p99_ms: median(list.map((entry) => entry.p99_ms)),
      errors: list.reduce((sum, entry) => sum + entry.errors, 0),
    });
    const latency = { direct: latencyMedian(latencyRounds.direct), gateway: latencyMedian(latencyRounds.gateway) };

    start('upstream', process.execPath, [path.join(here, 'gateway.ts'), 'upstream', String(upstreamPort)]);
    await waitFor(`http://127.0.0.1:${upstreamPort}${PATH}`);
    const nginxPids = await startNginx(upstreamPort as number, nginxPort as number);
    const trivialGatewayPid = await startGateway(
      `http://127.0.0.1:${upstreamPort}`,
      trivialGatewayPort as number,
      trivialAdminPort as number,
    );
    console.log('(b) trivial upstream');
    const trivial = compare({
      direct: () => measure('trivial upstream, direct', `http://127.0.0.1:${upstreamPort}${PATH}`),
      nginx: () => measure('trivial upstream, through nginx', `http://127.0.0.1:${nginxPort}${PATH}`, nginxPids),
      gateway: () =>
        measure('trivial upstream, through gateway', `http://127.0.0.1:${trivialGatewayPort}${PATH}`, [
          trivialGatewayPid,
        ]),
    });

    const keyed = await startKeyedGateway({
      databaseUrl,
      upstreamUrl: `http://127.0.0.1:${upstreamPort}`,
      authPort: authPort as number,
      port: authGatewayPort as number,
      adminPort: authAdminPort as number,
    });
    // A gateway of the same age as the keyed one, so both have been warmed alike.
    const openGatewayPid = await startGateway(
      `http://127.0.0.1:${upstreamPort}`,
      openGatewayPort as number,
      openAdminPort as number,
    );
    console.log('(c) trivial upstream through the gateway, auth off vs AUTH_MODE=all with a managed key');
    const auth = compare(
      {
        off: () => measure('gateway, auth off', `http://127.0.0.1:${openGatewayPort}${PATH}`, [openGatewayPid]),
        all: () =>
          measure(
            'gateway, AUTH_MODE=all + key',
            `http://127.0.0.1:${authGatewayPort}${PATH}`,
            [keyed.pid],
            [`authorization: Bearer ${keyed.key}`],
          ),
      },
      // The two differ by a few µs a request: more rounds than the others, against the shared machine's noise.
      Math.max(ROUNDS, 5),
    );

    const { direct, gateway: throughGateway } = products.medians as Record<'direct' | 'gateway', Measurement>;
    const { nginx, gateway } = trivial.medians as Record<'nginx' | 'gateway', Measurement>;
    const results = {
      products_throughput_ratio: ratio(throughGateway.requests_per_s, direct.requests_per_s),
      products_added_p50_ms: Math.round((latency.gateway.p50_ms - latency.direct.p50_ms) * 1000) / 1000,
      nginx_throughput_ratio: ratio(gateway.requests_per_s, nginx.requests_per_s),
      auth_throughput_ratio: ratio(
        (auth.medians.all as Measurement).requests_per_s,
        (auth.medians.off as Measurement).requests_per_s,
      ),
    };
    // CPU per request is what the machine's other load moves least: the cost of a key in µs.
    const authAddedCpuUs =
      ((auth.medians.all as Measurement).proxy_cpu_us_per_request ?? 0) -
      ((auth.medians.off as Measurement).proxy_cpu_us_per_request ?? 0);
    const pass = {
      products_throughput_ratio: results.products_throughput_ratio >= TARGETS.products_throughput_ratio,
      products_added_p50_ms: results.products_added_p50_ms < TARGETS.products_added_p50_ms,
      nginx_throughput_ratio: results.nginx_throughput_ratio >= TARGETS.nginx_throughput_ratio,
      auth_throughput_ratio: results.auth_throughput_ratio >= TARGETS.auth_throughput_ratio,
    };
    // nginx -v prints its version on stderr.
    const nginxVersion = spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' })
      .stderr.replace('nginx version: ', '')
      .trim();
    const report = {
      benchmark: 'gateway',
      date: new Date().toISOString(),
      machine: machine(),
      client: `wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s after a 2 s warm-up; ${ROUNDS} alternating rounds, medians reported`,
      setup: {
        gateway: 'one Node process, RATE_LIMIT_STORE=memory (every request counted), LOG_LEVEL=info, logs to a file',
        nginx: `${nginxVersion || 'nginx'}, worker_processes 1, limit_req per client, JSON access_log to a file, upstream keepalive`,
        product: 'services/product/src/main.ts against its own PostgreSQL database, 50 products seeded, LOG_LEVEL=info',
        auth: 'a second gateway with AUTH_MODE=all polling services/auth (same database); every request carries a managed key with products:read',
      },
      products: {
        medians: products.medians,
        rounds: products.rounds,
        paced: { medians: latency, rounds: latencyRounds },
      },
      trivial: { medians: trivial.medians, rounds: trivial.rounds },
      auth: { medians: auth.medians, rounds: auth.rounds, added_cpu_us_per_request: authAddedCpuUs },
      results,
      targets: TARGETS,
      pass,
    };
    writeFileSync(path.join(here, 'results', 'gateway.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(here, 'results', 'gateway.md'), markdown(report));
    console.log(JSON.stringify({ results, pass }));
  } finally {
    stopAll();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await dropDatabase(databaseUrl).catch(() => undefined);
  }
}

function markdown(report: {
  date: string;
  machine: { cores: number; cpu: string; node: string; load_1m_at_end: number };
  client: string;
  setup: Record<string, string>;
  products: { medians: Record<string, Measurement>; paced: { medians: Record<'direct' | 'gateway', Latency> } };
  trivial: { medians: Record<string, Measurement> };
  auth?: { medians: Record<string, Measurement>; added_cpu_us_per_request: number };
  results: typeof TARGETS;
  pass: Record<keyof typeof TARGETS, boolean>;
}) {
  const row = (name: string, measurement: Measurement | undefined) =>
    measurement
      ? `| ${name} | ${measurement.requests_per_s} | ${measurement.p50_ms} | ${measurement.p99_ms} | ${measurement.errors} | ${measurement.proxy_cpu_us_per_request ?? '–'} |`
      : '';
  const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  const nginxCpu = report.trivial.medians.nginx?.proxy_cpu_us_per_request ?? 0;
  const gatewayCpu = report.trivial.medians.gateway?.proxy_cpu_us_per_request ?? 0;
  return `## Gateway overhead

${report.date}, ${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}, load average ${report.machine.load_1m_at_end} at the end (the machine is shared).
Client: ${report.client}; client, proxies, services and database all on the same machine.
Setup: gateway — ${report.setup.gateway}; nginx — ${report.setup.nginx}; product — ${report.setup.product}.

| run (median) | req/s | p50 ms | p99 ms | errors | proxy CPU µs/req |
|---|---|---|---|---|---|
${row('(a) product service, direct', report.products.medians.direct)}
${row('(a) product service, through the gateway', report.products.medians.gateway)}
${row('(b) trivial upstream, direct', report.trivial.medians.direct)}
${row('(b) trivial upstream, through nginx', report.trivial.medians.nginx)}
${row('(b) trivial upstream, through the gateway', report.trivial.medians.gateway)}
${row('(c) trivial upstream, gateway with auth off', report.auth?.medians.off)}
${row('(c) trivial upstream, gateway with AUTH_MODE=all and a key', report.auth?.medians.all)}

| (a) at a fixed ${PACED_RATE} req/s (median) | p50 ms | p99 ms | errors |
|---|---|---|---|
| product service, direct | ${report.products.paced.medians.direct.p50_ms} | ${report.products.paced.medians.direct.p99_ms} | ${report.products.paced.medians.direct.errors} |
| product service, through the gateway | ${report.products.paced.medians.gateway.p50_ms} | ${report.products.paced.medians.gateway.p99_ms} | ${report.products.paced.medians.gateway.errors} |

| measure | result | target | verdict |
|---|---|---|---|
| (a) gateway / direct throughput | ${percent(report.results.products_throughput_ratio)} | ≥ ${percent(TARGETS.products_throughput_ratio)} | ${verdict(report.pass.products_throughput_ratio)} |
| (a) p50 added by the gateway (at ${PACED_RATE} req/s) | ${report.results.products_added_p50_ms} ms | < ${TARGETS.products_added_p50_ms} ms | ${verdict(report.pass.products_added_p50_ms)} |
| (b) gateway / nginx throughput | ${percent(report.results.nginx_throughput_ratio)} | ≥ ${percent(TARGETS.nginx_throughput_ratio)} | ${verdict(report.pass.nginx_throughput_ratio)} |
${report.auth ? `| (c) auth on (a key per request) / auth off throughput | ${percent(report.results.auth_throughput_ratio)} | ≥ ${percent(TARGETS.auth_throughput_ratio)} | ${verdict(report.pass.auth_throughput_ratio)} |\n| (c) gateway CPU a key adds per request | ${report.auth.added_cpu_us_per_request} µs | – | – |\n` : ''}
Proxy CPU per request is the figure least moved by other load on the machine: nginx spends
${nginxCpu} µs per request, the gateway ${gatewayCpu} µs (${Math.round((gatewayCpu / nginxCpu) * 10) / 10}×). With client, upstream and proxy sharing
${report.machine.cores} cores, throughput follows from how much CPU each proxy leaves to the others, so the ratio swings
with the machine's load from round to round (every round is in gateway.json).
`;
}

if (positionals[0] === 'render') {
  // Re-renders gateway.md from the committed gateway.json without measuring again.
  const results = path.join(here, 'results');
  writeFileSync(
    path.join(results, 'gateway.md'),
    markdown(JSON.parse(readFileSync(path.join(results, 'gateway.json'), 'utf8'))),
  );
} else if (positionals[0] === 'upstream') {
  const body = JSON.stringify({ items: [], page: 1, per_page: 10, total: 0, pages: 0 });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(positionals[1]), '127.0.0.1');
} else {
  await main();
}
