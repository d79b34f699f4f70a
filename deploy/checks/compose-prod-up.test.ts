// docker-compose.prod.yml run for real: a certificate from deploy/nginx/certificate.sh, `docker compose up -d
// --wait` with the replicas it declares, then an upload through nginx over TLS reaching completion, the
// output fetched at PUBLIC_BASE_URL, and every container stopping with exit code 0.
// Run with `npm run test:deploy`; needs root (podman). Third-party images are local stand-ins.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadStatusSchema } from '@ipp/contracts';
import { freePort, until } from '@ipp/platform/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImages,
  composeProject,
  envFile,
  standIns,
  startEngine,
  startFileServer,
  tearDownCheck,
} from './compose-stack.ts';
import { repository } from './tools.ts';

const run = `${Date.now().toString(36)}${process.pid}`;
const project = `ipp-compose-prod-${run}`;
const imageTag = 'compose-check';
const FINAL = ['completed', 'completed_with_errors', 'failed'];

const directory = mkdtempSync(join(tmpdir(), 'ipp-compose-prod-'));
let engine: Awaited<ReturnType<typeof startEngine>>;
let stack: ReturnType<typeof composeProject>;
let files: Awaited<ReturnType<typeof startFileServer>>;
let ca: Buffer;
let httpsPort = 0;
let httpPort = 0;

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** A request to nginx over TLS, trusting only the certificate the script made; `url` is on localhost. */
async function https(url: string, init: RequestInit = {}): Promise<Answer> {
  const prepared = new Request(url, init);
  const body = init.body === undefined ? undefined : Buffer.from(await prepared.arrayBuffer());
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        servername: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: prepared.method,
        headers: Object.fromEntries(prepared.headers),
        ca,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const api = (path: string, init?: RequestInit) => https(`https://localhost:${httpsPort}${path}`, init);

beforeAll(async () => {
  console.table(standIns());
  engine = await startEngine();
  await buildImages(imageTag);

  const ssl = join(directory, 'ssl');
  execFileSync('bash', [join(repository, 'deploy/nginx/certificate.sh'), 'localhost'], {
    env: { ...process.env, SSL_DIR: ssl },
  });
  ca = readFileSync(join(ssl, 'fullchain.pem'));
  httpPort = await freePort();
  httpsPort = await freePort();
  const env = join(directory, '.env');
  envFile(env, {
    HTTP_PORT: String(httpPort),
    HTTPS_PORT: String(httpsPort),
    SSL_DIR: ssl,
    PUBLIC_BASE_URL: `https://localhost:${httpsPort}`,
    IMAGE_TAG: imageTag,
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
  });
  stack = composeProject({ engine, project, file: 'docker-compose.prod.yml', env });
}, 1_800_000);

afterAll(async () => {
  await tearDownCheck({ files, stack, engine, directory });
}, 300_000);

describe('docker-compose.prod.yml, up for real', () => {
  it('comes up with every container of every replica healthy', async () => {
    const up = await stack.compose(['up', '--detach', '--wait', '--wait-timeout', '600', '--no-build']);
    expect(up.code, `${up.stdout}${up.stderr}\n${await stack.logs()}`).toBe(0);
    const containers = await stack.containers();
    const counts: Record<string, number> = {};
    for (const container of containers) {
      counts[container.Service] = (counts[container.Service] ?? 0) + 1;
      expect(container.Health, container.Name).toBe('healthy');
    }
    expect(counts).toEqual({
      nginx: 1,
      gateway: 2,
      auth: 2,
      web: 2,
      product: 1,
      upload: 1,
      'image-worker': 2,
      health: 1,
      postgres: 1,
      rabbitmq: 1,
      redis: 1,
    });
  }, 900_000);

  it('redirects plain HTTP to HTTPS', async () => {
    const answer = await fetch(`http://127.0.0.1:${httpPort}/api/products`, { redirect: 'manual' });
    expect(answer.status).toBe(301);
    expect(answer.headers.get('location')).toMatch(/^https:\/\//);
  });

  it('takes an upload through nginx over TLS to completion and serves its output at PUBLIC_BASE_URL', async () => {
    const jpeg = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#2e8b57' } })
      .jpeg({ quality: 95 })
      .toBuffer();
    files = await startFileServer(`${project}-files`, stack.network, { 'chair.jpg': jpeg });
    // podman's aardvark-dns (Debian's 1.4) rebuilds its sockets when a container joins the network and drops
    // the queries meanwhile (containers/aardvark-dns#389); nginx answers those requests 502. Wait until nginx
    // resolves the gateways again: what a user of Docker's embedded DNS never sees.
    await until(async () => (await api('/health/ready')).status === 200, { timeoutMs: 30_000, intervalMs: 250 }).catch(
      async (error: Error) => {
        const ready = await api('/health/ready');
        throw new Error(`${error.message}: ${ready.status} ${ready.body}\n${await stack.logs()}`);
      },
    );
    const form = new FormData();
    const rows = Array.from(
      { length: 6 },
      (_, index) => `PROD-${index},Oak chair ${index},${files.url}/chair.jpg?n=${index}`,
    );
    form.set(
      'file',
      new Blob([['Serial Number,Product Name,Input Image Urls', ...rows].join('\r\n')], { type: 'text/csv' }),
      'products.csv',
    );
    const accepted = await api('/api/upload', { method: 'POST', body: form });
    expect(accepted.status, accepted.body.toString()).toBe(202);
    const requestId = (JSON.parse(accepted.body.toString()) as { request_id: string }).request_id;
    // nginx answers a request whose gateway lookup aardvark-dns dropped with its own 502 page (see above): a
    // client polls on through one, as this does, but only through a few.
    const refused: string[] = [];
    const done = await until(
      async () => {
        const answer = await api(`/api/status/${requestId}`);
        if (answer.status !== 200) {
          refused.push(`${answer.status} ${answer.body.toString().slice(0, 200)}`);
          expect(refused.length, refused.join('\n')).toBeLessThanOrEqual(3);
          return undefined;
        }
        const current = UploadStatusSchema.parse(JSON.parse(answer.body.toString()));
        return FINAL.includes(current.status) ? current : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(done, await stack.logs()).toMatchObject({ status: 'completed', total: 6, processed: 6, failed: 0 });
    const output = done.items[0]?.output_url ?? '';
    expect(output.startsWith(`https://localhost:${httpsPort}/`)).toBe(true);
    const image = await https(output);
    expect(image.status).toBe(200);
    expect((await sharp(image.body).metadata()).format).toBe('jpeg');
    const csv = await api(`/api/uploads/${requestId}/output.csv`);
    expect(csv.body.toString().trim().split(/\r?\n/)).toHaveLength(7);
  }, 300_000);

  it('reports both workers and both gateways ready on /health/detailed', async () => {
    const detailed = JSON.parse((await api('/health/detailed')).body.toString()) as {
      checks: { services: Record<string, { status: string }> };
    };
    expect(
      Object.fromEntries(Object.entries(detailed.checks.services).map(([name, check]) => [name, check.status])),
    ).toEqual({
      gateway: 'ok',
      product: 'ok',
      upload: 'ok',
      image_worker: 'ok',
      auth: 'ok',
      web: 'ok',
    });
  });

  it('stops every container cleanly (exit code 0)', async () => {
    await files?.stop();
    const stop = await stack.compose(['stop']);
    expect(stop.code, stop.stderr).toBe(0);
    const containers = await stack.containers();
    expect(
      containers.map((container) => [container.Name, container.ExitCode]),
      `${stop.stderr}\n${await stack.uncleanLogs(containers)}`,
    ).toEqual(containers.map((container) => [container.Name, 0]));
  }, 300_000);
});
