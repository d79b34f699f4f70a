// Benchmark: the gateway's request path as built (node:http + undici pools) against the design's
// (hono on @hono/node-server + http-proxy-3) with the same routing table and the core of the per-request
// work (request id, in-memory rate limit, one pino line to a file), in front of the same trivial upstream.
// The figure is CPU µs per request of the proxy process, from /proc, over alternating rounds (the method
// of bench/gateway.ts); the client is a keep-alive Node client in this process. Writes
// bench/results/gateway-stacks.json and .md (`render` re-renders the .md from the .json). http-proxy-3 is
// installed once into the tool cache, not into the project. `node bench/gateway-stacks.ts hono <port>
// <upstream-url>` is the hono gateway alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@ipp/platform/testing';
import { cpuTicks, createProcesses } from './processes.ts';
import { machine, median, runSettings } from './report.ts';

const here = import.meta.dirname;
const HTTP_PROXY_3 = '2.0.1';
const settings = runSettings({ durationS: 10, rounds: 5, connections: 32 });
const { positionals } = settings;
const DURATION_S = settings.durationS;
const ROUNDS = settings.rounds;
const CONNECTIONS = settings.connections;
const PATH = '/api/products?page=1';
const work = path.join(tmpdir(), `ipp-bench-gateway-stacks-${process.pid}`);
const processes = createProcesses(work);
const { waitFor } = processes;
/** A Node process of this bench, by its pid. */
const start = (name: string, args: string[], env: Record<string, string> = {}) =>
  processes.start(name, process.execPath, args, env).pid as number;

// The part of http-proxy-3's API used here (it is not a dependency of the project, so it has no types here).
type HttpProxy3 = {
  createProxyServer(options: { target: string; agent: Agent }): {
    web(req: IncomingMessage, res: ServerResponse): void;
    on(event: 'error', listener: (error: Error, req: IncomingMessage, res: ServerResponse | object) => void): void;
  };
};

/** http-proxy-3 from the tool cache, installed there on first use (idempotent). */
function loadHttpProxy3(): HttpProxy3 {
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'ipp-bench');
  const prefix = path.join(cache, `http-proxy-3-${HTTP_PROXY_3}`);
  if (!existsSync(path.join(prefix, 'node_modules', 'http-proxy-3'))) {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', `http-proxy-3@${HTTP_PROXY_3}`], {
      stdio: 'inherit',
    });
  }
  return createRequire(path.join(prefix, 'package.json'))('http-proxy-3') as HttpProxy3;
}

/** The design's gateway: hono routes, http-proxy-3 forwards on the raw node:http objects. */
async function serveHonoGateway(port: number, upstreamUrl: string) {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const { RESPONSE_ALREADY_SENT } = await import('@hono/node-server/utils/response');
  const { requestIdFrom } = await import('@ipp/platform');
  const { createRateLimits } = await import('../gateway/src/rate-limit.ts');
  const { createRequestLogger, logDestination } = await import('../gateway/src/request-log.ts');
  const { resolveRoute } = await import('../gateway/src/route-table.ts');
  const { createProxyServer } = loadHttpProxy3();
  const logger = createRequestLogger({ level: 'info', destination: logDestination() });
  const rateLimits = createRateLimits({ store: 'memory', points: 1_000_000_000, logger });
  const proxy = createProxyServer({ target: upstreamUrl, agent: new Agent({ keepAlive: true, maxSockets: 128 }) });
  proxy.on('error', (_error, _req, res) => {
    if (res instanceof ServerResponse && !res.headersSent) res.writeHead(502).end();
  });
  type Bindings = import('@hono/node-server').HttpBindings;
  const app = new Hono<{ Bindings: Bindings }>();
  app.all('*', async (c) => {
    const started = performance.now();
    const route = resolveRoute(c.env.incoming.url ?? '');
    if (route.kind !== 'proxy') return c.text('not found', 404);
    const requestId = requestIdFrom(c.req.header('x-request-id'));
    const quota = await rateLimits.consume(c.env.incoming.socket.remoteAddress ?? '', false);
    if (!quota.allowed) return c.text('too many requests', 429);
    const { incoming, outgoing } = c.env;
    incoming.headers['x-request-id'] = requestId;
    outgoing.setHeader('x-request-id', requestId);
    outgoing.once('finish', () =>
      logger.info(
        { method: incoming.method, route: route.name, status: outgoing.statusCode, ms: performance.now() - started },
        'request',
      ),
    );
    proxy.web(incoming, outgoing);
    return RESPONSE_ALREADY_SENT;
  });
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
}

function request(url: string, agent: Agent) {
  return new Promise<void>((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(String(res.statusCode)))));
    }).on('error', reject);
  });
}

type Measurement = { requests: number; requests_per_s: number; errors: number; cpu_us_per_request: number };

/** CONNECTIONS keep-alive loops for `seconds`, after a 2 s warm-up; the proxy's CPU over the measured part. */
async function measure(label: string, url: string, pid: number): Promise<Measurement> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const run = async (seconds: number) => {
    let requests = 0;
    let errors = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < end) {
          await request(url, agent).then(
            () => (requests += 1),
            () => (errors += 1),
          );
        }
      }),
    );
    return { requests, errors };
  };
  await run(2);
  const before = cpuTicks([pid]);
  const { requests, errors } = await run(DURATION_S);
  const ticks = cpuTicks([pid]) - before;
  agent.destroy();
  const result = {
    requests,
    requests_per_s: Math.round(requests / DURATION_S),
    errors,
    cpu_us_per_request: Math.round((ticks * 10_000) / requests),
  };
  console.log(
    `${label.padEnd(28)} ${String(result.requests_per_s).padStart(6)} req/s  errors ${errors}  proxy CPU ${result.cpu_us_per_request} µs/req`,
  );
  return result;
}

async function main() {
  mkdirSync(work, { recursive: true });
  loadHttpProxy3();
  const [upstreamPort, gatewayPort, adminPort, honoPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  start('upstream', [path.join(here, 'gateway.ts'), 'upstream', String(upstreamPort)]);
  await waitFor(`${upstreamUrl}${PATH}`);
  const gatewayPid = start('gateway', ['--import', '@ipp/platform/instrumentation', 'gateway/src/main.ts'], {
    WEB_PORT: String(gatewayPort),
    GATEWAY_ADMIN_PORT: String(adminPort),
    PRODUCT_SERVICE_URL: upstreamUrl,
    RATE_LIMIT_STORE: 'memory',
    RATE_LIMIT_POINTS: '1000000000',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  });
  const honoPid = start('hono', [path.join(here, 'gateway-stacks.ts'), 'hono', String(honoPort), upstreamUrl], {
    NODE_ENV: 'production',
  });
  await Promise.all([
    waitFor(`http://127.0.0.1:${gatewayPort}${PATH}`),
    waitFor(`http://127.0.0.1:${honoPort}${PATH}`),
  ]);

  const rounds: Record<'gateway' | 'hono', Measurement[]> = { gateway: [], hono: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    rounds.gateway.push(
      await measure('node:http + undici (as built)', `http://127.0.0.1:${gatewayPort}${PATH}`, gatewayPid),
    );
    rounds.hono.push(await measure('hono + http-proxy-3', `http://127.0.0.1:${honoPort}${PATH}`, honoPid));
  }
  const medians = Object.fromEntries(
    Object.entries(rounds).map(([name, list]) => [
      name,
      {
        requests_per_s: median(list.map((entry) => entry.requests_per_s)),
        cpu_us_per_request: median(list.map((entry) => entry.cpu_us_per_request)),
        errors: list.reduce((sum, entry) => sum + entry.errors, 0),
      },
    ]),
  ) as Record<'gateway' | 'hono', Omit<Measurement, 'requests'>>;
  const report = {
    benchmark: 'gateway-stacks',
    date: new Date().toISOString(),
    machine: machine(),
    client: `keep-alive Node client, ${CONNECTIONS} connections, ${DURATION_S} s a run after 2 s warm-up; ${ROUNDS} alternating rounds, medians reported`,
    setup: {
      gateway:
        'gateway/src/main.ts: node:http server, undici pools, RATE_LIMIT_STORE=memory, LOG_LEVEL=info, logs to a file',
      hono: `@hono/node-server + hono app.all, http-proxy-3 ${HTTP_PROXY_3} with a keep-alive agent; the gateway's route table, request id, memory rate limit and request logger`,
    },
    medians,
    rounds,
    cpu_ratio_hono_to_gateway:
      Math.round((medians.hono.cpu_us_per_request / medians.gateway.cpu_us_per_request) * 100) / 100,
  };
  writeFileSync(path.join(here, 'results', 'gateway-stacks.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(here, 'results', 'gateway-stacks.md'), markdown(report));
  console.log(JSON.stringify(medians));
}

function markdown(report: {
  date: string;
  machine: { cores: number; cpu: string; node: string; load_1m_at_end: number };
  client: string;
  setup: Record<'gateway' | 'hono', string>;
  medians: Record<'gateway' | 'hono', Omit<Measurement, 'requests'>>;
  cpu_ratio_hono_to_gateway: number;
}) {
  const row = (name: string, entry: Omit<Measurement, 'requests'>) =>
    `| ${name} | ${entry.cpu_us_per_request} | ${entry.requests_per_s} | ${entry.errors} |`;
  return `## Gateway request path: node:http + undici vs hono + http-proxy-3

${report.date}, ${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}, load average ${report.machine.load_1m_at_end} at the end (the machine is shared).
Client: ${report.client}; client, proxies and upstream on the same machine.
Setup: as built — ${report.setup.gateway}; design — ${report.setup.hono}.

| gateway (median) | proxy CPU µs/req | req/s | errors |
|---|---|---|---|
${row('node:http + undici (as built)', report.medians.gateway)}
${row('hono + http-proxy-3', report.medians.hono)}

hono + http-proxy-3 spends ${report.cpu_ratio_hono_to_gateway}× the CPU per request of the gateway as built, while doing less: the
gateway as built also sets security and CORS headers, forwarded headers, upstream timeouts, method checks and
a metrics observation per request. CPU per request
is the figure least moved by other load on the shared machine; req/s follows from it and swings from round to
round (every round is in gateway-stacks.json). See docs/decisions/0001-gateway-on-node-http-and-undici.md.
`;
}

if (positionals[0] === 'render') {
  // Re-renders gateway-stacks.md from the committed gateway-stacks.json without measuring again.
  const results = path.join(here, 'results');
  writeFileSync(
    path.join(results, 'gateway-stacks.md'),
    markdown(JSON.parse(readFileSync(path.join(results, 'gateway-stacks.json'), 'utf8'))),
  );
} else if (positionals[0] === 'hono') {
  await serveHonoGateway(Number(positionals[1]), String(positionals[2]));
} else {
  try {
    await main();
  } finally {
    processes.stopAll();
  }
}
