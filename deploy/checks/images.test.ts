// Every deployable's Dockerfile built for real with podman and run as a deployment runs it: as the image's
// non-root user, read-only root filesystem, a tmpfs at /tmp and a volume at /data where k8s/base mounts the
// storage claim, on the host network against this machine's PostgreSQL and RabbitMQ (a test database and
// vhost). Its own HEALTHCHECK must pass, SIGTERM must end it with exit code 0 within the grace period, its
// size must stay within budget and it must hold no test code. One image at a time (2 cores).
// Run with `npm run test:deploy`; needs root (podman, apt on first run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, createTestVhost, freePort } from '@ipp/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployables } from '../../scripts/tools/deployables.ts';
import { parseDockerfile } from '../../scripts/tools/dockerfile.ts';
import { isTestCode } from './only-for-tests.ts';
import { buildImage, podman, preparePodman, succeed } from './podman.ts';
import { repository } from './tools.ts';

// Measured sizes (deploy/README.md) plus about 10 %: a budget broken means something new went into the image.
const sizeBudgetMB: Record<string, number> = {
  gateway: 375,
  product: 370,
  upload: 370,
  'image-worker': 480,
  health: 370,
  auth: 370,
  // Not measured yet: health's budget, as it carries the same platform dependencies.
  web: 370,
};
// The services k8s/base gives the storage claim at /data (the others only write to /tmp).
const storageAtData = ['upload', 'image-worker', 'health'];
// docker-compose.yml's stop_grace_period (k8s gives 30 s).
const graceSeconds = 20;
const portVariables = [
  'WEB_PORT',
  'GATEWAY_ADMIN_PORT',
  'PRODUCT_PORT',
  'UPLOAD_PORT',
  'HEALTH_PORT',
  'WORKER_PORT',
  'AUTH_PORT',
  'WEB_APP_PORT',
];
// Where a service finds its peers: the fresh ports above, where nothing else of this run listens.
const peerUrls = {
  PRODUCT_SERVICE_URL: 'PRODUCT_PORT',
  UPLOAD_SERVICE_URL: 'UPLOAD_PORT',
  HEALTH_SERVICE_URL: 'HEALTH_PORT',
  IMAGE_WORKER_URL: 'WORKER_PORT',
  GATEWAY_ADMIN_URL: 'GATEWAY_ADMIN_PORT',
  // The web app's public API.
  GATEWAY_URL: 'WEB_PORT',
};
// The readiness checks that name a peer service rather than a dependency.
const peers = ['product', 'upload', 'health', 'image_worker', 'gateway'];
const devDependencies = ['vitest', 'typescript', '@biomejs/biome', 'turbo', 'node'];

type Healthcheck = { Test: string[]; Interval: number; StartPeriod: number; Retries: number };
type InspectedImage = { Config: { User: string }; Healthcheck: Healthcheck; Size: number };

const run = `${Date.now().toString(36)}${process.pid}`;
const measurements: {
  image: string;
  buildS: number | 'earlier in this run';
  sizeMB: number;
  healthyS: number;
  stopS: number;
}[] = [];
let environment: Record<string, string> = {};
let cleanups: (() => Promise<unknown>)[] = [];
let leftovers: string[][] = [];

const seconds = (start: number) => Math.round((performance.now() - start) / 100) / 10;
const nanoseconds = (value: number) => value / 1e6;

beforeAll(async () => {
  preparePodman();
  const database = await createTestDatabase('images');
  const vhost = await createTestVhost('images');
  cleanups = [database.drop, vhost.drop];
  environment = {
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    AMQP_URL: vhost.url,
    WEBHOOK_SECRET: 'whsec_cmVhbC1pbWFnZS1jaGVjay1zZWNyZXQ=',
  };
}, 600_000);

afterEach(async () => {
  for (const args of leftovers) await podman(args);
  leftovers = [];
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  // The measurement: build time (layer cache as this machine has it), size, time to healthy and to stop.
  console.table(measurements);
});

async function healthy(name: string, healthcheck: Healthcheck) {
  const deadline = Date.now() + nanoseconds(healthcheck.StartPeriod + healthcheck.Interval * healthcheck.Retries);
  let last = await podman(['healthcheck', 'run', name]);
  while (last.code !== 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    last = await podman(['healthcheck', 'run', name]);
  }
  return last.code === 0;
}

/** The checks of the service's `/health/ready` that fail, other than its peers' (not running here): none
 * once it reached this machine's PostgreSQL and RabbitMQ from inside the container. Waits up to 30 s. */
async function unreadyDependencies(port: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await fetch(`http://127.0.0.1:${port}/health/ready`)
      .then((response) => response.json() as Promise<{ checks: Record<string, { status: string; error?: string }> }>)
      .then(({ checks }) =>
        Object.entries(checks)
          .filter(([name, check]) => !peers.includes(name) && check.status !== 'ok')
          .map(([name, check]) => `${name}: ${check.error ?? check.status}`),
      )
      .catch((error: Error) => [error.message]);
    if (answer.length === 0 || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe.each(Object.entries(deployables))('the %s image', (service, directory) => {
  const image = `localhost/image-processing/${service}:deploy-check`;

  it('builds, runs read-only as its non-root user until its HEALTHCHECK passes, and exits 0 on SIGTERM', async () => {
    const buildStart = performance.now();
    const buildS = (await buildImage(directory, image)) === 'built' ? seconds(buildStart) : 'earlier in this run';
    const [inspected] = JSON.parse(await succeed(['image', 'inspect', image])) as [InspectedImage];
    const { Config: config, Healthcheck: healthcheck } = inspected;
    const sizeMB = Math.round(inspected.Size / 1e6);

    // Podman ≤ 5.7's Docker API splits a CMD healthcheck on whitespace (containers/podman#26519).
    expect(healthcheck.Test[0]).toBe('CMD');
    expect(healthcheck.Test.filter((part) => /\s/.test(part))).toEqual([]);
    expect(config.User).not.toMatch(/^(|root|0)(:|$)/);

    const name = `ipp-image-${service}-${run}`;
    const ports: Record<string, string> = Object.fromEntries(
      await Promise.all(portVariables.map(async (variable) => [variable, String(await freePort())])),
    );
    const storage = storageAtData.includes(service) ? ['--volume', `${name}:/data`] : [];
    leftovers.push(['rm', '--force', '--time', '0', name], ['volume', 'rm', '--force', name]);
    const startAt = performance.now();
    await succeed([
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--user',
      config.User,
      ...storage,
      ...Object.entries(environment).flatMap(([variable, value]) => ['--env', `${variable}=${value}`]),
      ...Object.entries(ports).flatMap(([variable, port]) => ['--env', `${variable}=${port}`]),
      ...Object.entries(peerUrls).flatMap(([variable, port]) => [
        '--env',
        `${variable}=http://127.0.0.1:${ports[port]}`,
      ]),
      image,
    ]);
    const isHealthy = await healthy(name, healthcheck);
    const healthyS = seconds(startAt);
    const logs = async () => {
      const { stdout, stderr } = await podman(['logs', name]);
      return (stdout + stderr).slice(-4000);
    };
    expect(isHealthy, await logs()).toBe(true);
    const [, probe = ''] = /process\.env\.(\w+)\+'\/health\/live'/.exec(healthcheck.Test.join(' ')) ?? [];
    expect(await unreadyDependencies(ports[probe] ?? ''), await logs()).toEqual([]);

    // The process itself (PID 1), not only what `exec` would get, runs as a non-root user.
    const status = await succeed(['exec', name, 'cat', '/proc/1/status']);
    expect(status).toMatch(/^Uid:\s+[1-9]\d*\s/m);

    const stopStart = performance.now();
    await succeed(['stop', '--time', String(graceSeconds), name]);
    const stopS = seconds(stopStart);
    // Past the grace period podman sends SIGKILL, which would show as 137.
    const exitCode = (await succeed(['inspect', '--format', '{{.State.ExitCode}}', name])).trim();
    expect(exitCode, await logs()).toBe('0');

    measurements.push({ image: service, buildS, sizeMB, healthyS, stopS });
    expect(sizeMB).toBeLessThanOrEqual(sizeBudgetMB[service] ?? 0);
  }, 900_000);

  it('holds its pruned production tree and no test file or test helper', async () => {
    const listing = await succeed([
      'run',
      '--rm',
      '--read-only',
      '--network',
      'none',
      '--entrypoint',
      'find',
      image,
      '/app',
      '-path',
      '/app/node_modules',
      '-prune',
      '-o',
      '-type',
      'f',
      '-printf',
      '%P\\n',
    ]);
    const files = listing.trim().split('\n');
    expect(files).toContain(`${directory}/src/main.ts`);
    expect(files.filter(isTestCode)).toEqual([]);
    const packages = files
      .filter((file) => file.endsWith('package.json'))
      .map((file) => file.replace(/\/?package\.json$/, ''));
    expect(packages.sort()).toEqual(['', 'contracts', directory, 'platform'].sort());
    const modules = await succeed([
      'run',
      '--rm',
      '--read-only',
      '--network',
      'none',
      '--entrypoint',
      'find',
      image,
      '/app/node_modules',
      '-mindepth',
      '1',
      '-maxdepth',
      '2',
      '-type',
      'd',
      '-printf',
      '%P\\n',
    ]);
    expect(devDependencies.filter((name) => modules.split('\n').includes(name))).toEqual([]);
  });
});

describe('the local base images (scripts/tools/base-images.sh)', () => {
  const bases = Object.values(deployables).flatMap((directory) =>
    parseDockerfile(readFileSync(join(repository, directory, 'Dockerfile'), 'utf8')).stages.map(({ base }) => base),
  );
  const nodeImages = [...new Set(bases)];

  it('stand in for the node image the Dockerfiles name, as the official one behaves', async () => {
    expect(nodeImages).toHaveLength(1);
    const [image = ''] = nodeImages;
    const version = /^node:(\d+\.\d+\.\d+)-bookworm-slim$/.exec(image)?.[1];
    // The official entrypoint runs node when the first argument is an option or not a command.
    expect((await succeed(['run', '--rm', '--network', 'none', image, '--version'])).trim()).toBe(`v${version}`);
    expect((await succeed(['run', '--rm', '--network', 'none', '--user', 'node', image, 'id', '-u'])).trim()).toBe(
      '1000',
    );
    expect(await succeed(['run', '--rm', '--network', 'none', image, 'npm', '--version'])).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await succeed(['run', '--rm', '--network', 'none', image, 'corepack', '--version'])).toMatch(
      /^\d+\.\d+\.\d+\n$/,
    );
  });

  it('say that they are local test fixtures', async () => {
    for (const image of [...nodeImages, 'debian:bookworm-slim']) {
      const description = await succeed([
        'image',
        'inspect',
        '--format',
        '{{ index .Labels "org.opencontainers.image.description" }}',
        image,
      ]);
      expect(description, image).toMatch(/^Local test fixture/);
    }
  });
});
