// Each deployable's Dockerfile passes the dockerfile-utils linter (the VS Code Docker extension's) with
// every rule as an error, and follows the house rules the images rely on; .dockerignore keeps the build
// context to sources and manifests.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationSeverity, type ValidatorSettings, validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { isIgnored, readIgnoreRules } from '../../scripts/tools/build-context.ts';
import {
  type Dockerfile,
  execForm,
  type Instruction,
  parseDockerfile,
  parsePairs,
} from '../../scripts/tools/dockerfile.ts';
import { isTestCode } from './only-for-tests.ts';
import { repository } from './tools.ts';

const deployables = [
  { directory: 'gateway', ports: { WEB_PORT: '5000', GATEWAY_ADMIN_PORT: '5100' }, probe: 'GATEWAY_ADMIN_PORT' },
  { directory: 'services/product', ports: { PRODUCT_PORT: '5101' }, probe: 'PRODUCT_PORT' },
  { directory: 'services/upload', ports: { UPLOAD_PORT: '5102' }, probe: 'UPLOAD_PORT' },
  { directory: 'services/health', ports: { HEALTH_PORT: '5103' }, probe: 'HEALTH_PORT' },
  { directory: 'services/image-worker', ports: { WORKER_PORT: '5104' }, probe: 'WORKER_PORT' },
  // The web app stores nothing: no STORAGE_DIR, nothing written but /tmp.
  { directory: 'services/web', ports: { WEB_APP_PORT: '5106' }, probe: 'WEB_APP_PORT', stateless: true },
  // The auth service keeps its keys in PostgreSQL: nothing written but /tmp.
  { directory: 'services/auth', ports: { AUTH_PORT: '5105' }, probe: 'AUTH_PORT', stateless: true },
];

const strictest: ValidatorSettings = Object.fromEntries(
  [
    'deprecatedMaintainer',
    'directiveCasing',
    'emptyContinuationLine',
    'instructionCasing',
    'instructionCmdMultiple',
    'instructionEntrypointMultiple',
    'instructionHealthcheckMultiple',
    'instructionJSONInSingleQuotes',
    'instructionWorkdirRelative',
  ].map((rule) => [rule, ValidationSeverity.ERROR]),
);

function readJson(path: string) {
  return JSON.parse(readFileSync(join(repository, path), 'utf8'));
}

const nodeVersion: string = readJson('node_modules/node/package.json').version;
const turboVersion: string = readJson('package.json').devDependencies.turbo;

function stage(dockerfile: Dockerfile, name: string) {
  const found = dockerfile.stages.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found.instructions;
}

function all(instructions: Instruction[], keyword: string) {
  return instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

describe.each(deployables)('$directory/Dockerfile', ({ directory, ports, probe, stateless = false }) => {
  const text = readFileSync(join(repository, directory, 'Dockerfile'), 'utf8');
  const dockerfile = parseDockerfile(text);
  const packageName: string = readJson(`${directory}/package.json`).name;
  const runtime = stage(dockerfile, 'runtime');

  it('passes the Dockerfile linter with every rule as an error', () => {
    expect(validate(text, strictest)).toEqual([]);
  });

  it('builds in stages from a Node 24 base pinned to the version the project tests with', () => {
    // The gateway's one extra stage fetches the API reference's browser bundle alone (see its Dockerfile).
    const extra = directory === 'gateway' ? ['scalar'] : [];
    expect(dockerfile.stages.map((candidate) => candidate.name)).toEqual([
      'prune',
      'dependencies',
      ...extra,
      'runtime',
    ]);
    for (const { base } of dockerfile.stages) expect(base).toBe(`node:${nodeVersion}-bookworm-slim`);
    expect(nodeVersion).toMatch(/^24\.\d+\.\d+$/);
  });

  it('prunes the workspace to its package with the repository turbo version', () => {
    const prune = stage(dockerfile, 'prune');
    expect(all(prune, 'RUN')).toContain(`turbo prune ${packageName} --docker`);
    expect(all(prune, 'RUN').join('\n')).toContain(`turbo@${turboVersion}`);
  });

  it('installs production dependencies from the lockfile in a layer that only manifests invalidate', () => {
    const dependencies = stage(dockerfile, 'dependencies');
    expect(all(dependencies, 'COPY')).toEqual(['--from=prune /repo/out/json/ ./']);
    const install = all(dependencies, 'RUN').join('\n');
    expect(install).toMatch(/npm ci --omit=dev/);
    // sharp's native binaries are optional dependencies.
    expect(install).not.toContain('--omit=optional');
  });

  it('runs as the unprivileged node user, with signals going straight to node', () => {
    const users = all(runtime, 'USER');
    expect(users).toEqual(['node']);
    const userLine = runtime.find((instruction) => instruction.keyword === 'USER')?.line ?? 0;
    const cmd = runtime.find((instruction) => instruction.keyword === 'CMD');
    expect(cmd?.line).toBeGreaterThan(userLine);
    expect(execForm(cmd?.args ?? '')).toEqual([
      'node',
      '--import',
      '@ipp/platform/instrumentation',
      `${directory}/src/main.ts`,
    ]);
    expect(existsSync(join(repository, directory, 'src/main.ts'))).toBe(true);
    expect(all(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(all(runtime, 'ENTRYPOINT')).toEqual([]);
  });

  it('checks /health/live on its probe port, in words without spaces, and exposes its ports', () => {
    const [healthcheck = ''] = all(runtime, 'HEALTHCHECK');
    expect(healthcheck).toMatch(/--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+ CMD \[/);
    const command = execForm(healthcheck);
    expect(command.join(' ')).toContain(`process.env.${probe}+'/health/live'`);
    // Podman ≤ 5.7's Docker API splits a CMD healthcheck on whitespace (containers/podman#26519).
    expect(command.filter((part) => /\s/.test(part))).toEqual([]);
    const env = Object.assign({}, ...all(runtime, 'ENV').map(parsePairs));
    expect(env).toMatchObject({ ...ports, NODE_ENV: 'production', ...(stateless ? {} : { STORAGE_DIR: '/data' }) });
    if (stateless) expect(env).not.toHaveProperty('STORAGE_DIR');
    expect(all(runtime, 'EXPOSE')).toEqual([Object.values(ports).join(' ')]);
  });

  it('carries the OCI labels and no secret', () => {
    const labels = Object.assign({}, ...all(runtime, 'LABEL').map(parsePairs));
    for (const name of ['title', 'description', 'version', 'revision', 'licenses', 'vendor']) {
      expect(labels[`org.opencontainers.image.${name}`], name).toBeTruthy();
    }
    expect(text).not.toMatch(/^(ENV|ARG)\s.*(SECRET|PASSWORD|API_KEYS|DATABASE_URL|AMQP_URL)/m);
    expect(all(runtime, 'ADD')).toEqual([]);
  });

  it('writes only to STORAGE_DIR, which the node user owns, and /tmp', () => {
    const storageDir = 'mkdir -p /data/uploads /data/outputs /data/csv && chown -R node:node /data';
    if (stateless) expect(all(runtime, 'RUN')).toEqual([]);
    else expect(all(runtime, 'RUN')).toContain(storageDir);
    const vendored =
      directory === 'gateway'
        ? ['--from=scalar /scalar/package/dist/browser/standalone.js gateway/vendor/scalar-standalone.js']
        : [];
    expect(all(runtime, 'COPY')).toEqual([
      '--from=dependencies /app/ ./',
      '--from=prune /repo/out/full/ ./',
      ...vendored,
    ]);
  });

  if (directory === 'gateway') {
    it('vendors the API reference bundle at the version gateway/package.json pins', () => {
      const pinned = readJson('gateway/package.json').devDependencies['@scalar/api-reference'];
      expect(text).toContain(`ARG SCALAR_VERSION=${pinned}\n`);
    });
  }
});

describe('the image-worker image', () => {
  const runtime = stage(
    parseDockerfile(readFileSync(join(repository, 'services/image-worker/Dockerfile'), 'utf8')),
    'runtime',
  );

  it('preloads jemalloc, installed at a pinned version, against sharp memory growth', () => {
    expect(all(runtime, 'RUN').join('\n')).toMatch(/apt-get install .*libjemalloc2=\d/);
    expect(Object.assign({}, ...all(runtime, 'ENV').map(parsePairs))).toMatchObject({
      LD_PRELOAD: '/usr/local/lib/libjemalloc.so.2',
    });
  });
});

describe('the Dockerfile linter', () => {
  it('reports a broken Dockerfile', () => {
    const diagnostics = validate('from node:24\nCMD ["node"]\nCMD node\nWORKDIR app\n', strictest);
    expect(diagnostics.length).toBeGreaterThanOrEqual(3);
  });
});

describe('.dockerignore', () => {
  const rules = readIgnoreRules(repository);

  it('leaves dependencies, git, local data, secrets, tests and deploy tooling out of the build context', () => {
    const left = [
      '.env',
      '.env.production',
      '.git/config',
      'node_modules/hono/package.json',
      'services/product/node_modules/x/index.js',
      'services/upload/src/upload-route.test.ts',
      'data/uploads/a.jpg',
      'ssl/privkey.pem',
      'helm/image-processing/values.yaml',
      'e2e/src/products.test.ts',
    ];
    expect(left.filter((path) => !isIgnored(rules, path))).toEqual([]);
  });

  it('leaves every test file and test helper out of the build context', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: repository,
      encoding: 'utf8',
    }).split('\n');
    const testCode = files.filter(isTestCode);
    // The patterns find the helpers this repository has, so this check could fail.
    expect(testCode).toEqual(
      expect.arrayContaining([
        'platform/src/testing/index.ts',
        'platform/src/storage/testing.ts',
        'gateway/src/testing/gateway.ts',
        'services/upload/src/testing/harness.ts',
        'services/health/src/testing/rabbitmq.ts',
        'services/product/src/testing/app.ts',
      ]),
    );
    expect(testCode.filter((path) => !isIgnored(rules, path))).toEqual([]);
    expect(['services/product/src/main.ts', 'gateway/src/latest-version.ts'].filter(isTestCode)).toEqual([]);
  });

  it('keeps the sources, manifests and lockfile the build needs', () => {
    const kept = [
      '.env.example',
      'package.json',
      'package-lock.json',
      'turbo.json',
      'tsconfig.base.json',
      'platform/src/index.ts',
      'contracts/package.json',
      'services/image-worker/src/main.ts',
    ];
    expect(kept.filter((path) => isIgnored(rules, path))).toEqual([]);
  });
});
