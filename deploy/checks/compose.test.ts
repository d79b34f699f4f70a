// Both compose files are valid Compose specification documents once interpolated from .env.example, and
// have what running the platform on one machine needs; the prod nginx config passes `nginx -t`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { type ComposeFile, type ComposeService, loadCompose, readCompose, readEnvFile } from './compose.ts';
import { repository, run, succeed, tool } from './tools.ts';

const files = { development: 'docker-compose.yml', production: 'docker-compose.prod.yml' };
const appServices = ['gateway', 'product', 'upload', 'image-worker', 'health'];
const probePorts: Record<string, number> = {
  gateway: 5100,
  product: 5101,
  upload: 5102,
  'image-worker': 5104,
  health: 5103,
};
const volumes = ['db_data', 'rabbitmq_data', 'upload_data', 'output_images', 'output_csvs'];
const requiredSecrets = ['POSTGRES_PASSWORD', 'RABBITMQ_PASSWORD', 'WEBHOOK_SECRET'];

const envExample = readEnvFile(join(repository, '.env.example'));
const documented = new Set(
  [...readFileSync(join(repository, '.env.example'), 'utf8').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map(
    (match) => match[1],
  ),
);
// What an operator's .env holds: the example plus the secrets it leaves empty.
const operatorEnv = {
  ...envExample,
  POSTGRES_PASSWORD: 'database-password',
  RABBITMQ_PASSWORD: 'broker-password',
  WEBHOOK_SECRET: 'whsec_c2VjcmV0',
  PUBLIC_BASE_URL: 'https://images.example.com',
};

const temporary = mkdtempSync(join(tmpdir(), 'compose-check-'));
let envFiles = 0;
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** An env file holding `env`, as an operator's .env would. */
function envFile(env: Record<string, string>) {
  envFiles += 1;
  const path = join(temporary, `${envFiles}.env`);
  writeFileSync(
    path,
    Object.entries(env)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  );
  return path;
}

function validator() {
  const schema = JSON.parse(readFileSync(tool('compose-schema'), 'utf8'));
  return new Ajv2020({ allErrors: true, strict: false }).compile(schema);
}

function environmentValues(service: ComposeService) {
  return Object.values(service.environment ?? {});
}

describe.each(Object.entries(files))('the %s compose file', (_label, file) => {
  const path = join(repository, file);

  it('is valid against the Compose specification schema', () => {
    const validate = validator();
    const valid = validate(loadCompose(path, operatorEnv));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("loads with docker compose's own loader (compose-go: interpolation, schema, references)", () => {
    const result = run(tool('compose-config'), [path, envFile(operatorEnv)]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'DATABASE_URL: postgres://image_processing:database-password@postgres:5432/image_processing',
    );
  });

  it('stops with a message naming each required secret that .env leaves empty', () => {
    for (const name of requiredSecrets) {
      const result = run(tool('compose-config'), [path, envFile({ ...operatorEnv, [name]: '' })]);
      expect(result.status, name).not.toBe(0);
      expect(result.stderr, name).toContain(`required variable ${name} is missing a value: set ${name} in .env`);
    }
  });

  it('writes no secret itself: passwords and keys only come from variables', () => {
    const raw = readCompose(path);
    for (const [name, service] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|PASS$|SECRET|API_KEYS/.test(key)) expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z_]+[:?}-]/);
        // Credentials inside URLs are interpolated too.
        expect(String(value), `${name}.${key}`).not.toMatch(/\/\/[^$/@]+:[^$/@]+@/);
      }
    }
  });

  it('uses only variables that .env.example documents', () => {
    const text = readFileSync(path, 'utf8').replaceAll('$$', '');
    const used = [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((match) => match[1]);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('gives every service a healthcheck, CPU and memory limits and a place on the platform network', () => {
    const compose = loadCompose(path, operatorEnv);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
      expect(service.deploy?.resources?.limits, name).toMatchObject({
        cpus: expect.any(String),
        memory: expect.any(String),
      });
      expect(service.deploy?.resources?.reservations, name).toMatchObject({ cpus: expect.any(String) });
      expect(service.networks, name).toEqual(['image-processing-network']);
    }
    expect(compose.networks['image-processing-network']).toEqual({
      name: 'image-processing-network',
      driver: 'bridge',
    });
  });

  it('starts a service only once what it depends on is healthy', () => {
    const compose = loadCompose(path, operatorEnv);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(compose.services[dependency]?.healthcheck, dependency).toBeDefined();
      }
    }
    expect(Object.keys(compose.services.gateway?.depends_on ?? {})).toEqual(
      expect.arrayContaining(['product', 'upload', 'health']),
    );
  });

  it('checks each service on /health/live of its probe port and runs it read-only with a /tmp tmpfs', () => {
    const compose = loadCompose(path, operatorEnv);
    for (const name of appServices) {
      const service = compose.services[name] as ComposeService;
      expect(service.healthcheck?.test.join(' '), name).toContain(`http://127.0.0.1:${probePorts[name]}/health/live`);
      expect(service.read_only, name).toBe(true);
      expect(service.tmpfs, name).toEqual(['/tmp']);
    }
  });

  it('keeps data in the named volumes, storage shared by upload and image-worker', () => {
    const compose = loadCompose(path, operatorEnv);
    // The development file's s3 profile keeps its bucket in a volume of its own.
    expect(Object.keys(compose.volumes).filter((name) => name !== 's3_data')).toEqual(volumes);
    const storage = ['upload_data:/data/uploads', 'output_images:/data/outputs', 'output_csvs:/data/csv'];
    expect(compose.services.upload?.volumes).toEqual(storage);
    expect(compose.services['image-worker']?.volumes).toEqual(storage);
    expect(compose.services.postgres?.volumes).toEqual(['db_data:/var/lib/postgresql/data']);
    expect(compose.services.rabbitmq?.volumes).toEqual(['rabbitmq_data:/var/lib/rabbitmq']);
  });

  it('wires the services to each other and to the database and broker by service name', () => {
    const environment = loadCompose(path, operatorEnv).services.upload?.environment ?? {};
    expect(environment).toMatchObject({
      DATABASE_URL: 'postgres://image_processing:database-password@postgres:5432/image_processing',
      AMQP_URL: 'amqp://image_processing:broker-password@rabbitmq:5672',
      PRODUCT_SERVICE_URL: 'http://product:5101',
      STORAGE_DIR: '/data',
    });
    expect(loadCompose(path, operatorEnv).services['image-worker']?.environment?.WORKER_CONCURRENCY).toBe('2');
  });
});

describe('the development compose file', () => {
  const compose = loadCompose(join(repository, files.development), operatorEnv);

  it('runs an S3 server (the versitygw the tests build) only in the s3 profile; STORAGE_DRIVER=s3 points the services at it', () => {
    const server = compose.services.s3 as ComposeService & { profiles?: string[] };
    expect(server.profiles).toEqual(['s3']);
    const script = readFileSync(join(repository, 'scripts/tools/versitygw.sh'), 'utf8');
    expect(server.image).toBe(`versity/versitygw:${/VERSITYGW_VERSION:-(v[\d.]+)/.exec(script)?.[1]}`);
    expect(compose.services.upload?.environment?.STORAGE_DRIVER).toBe('fs');
    const switched = loadCompose(join(repository, files.development), {
      ...operatorEnv,
      STORAGE_DRIVER: 's3',
      AWS_ACCESS_KEY_ID: 'access',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    for (const name of ['upload', 'image-worker']) {
      expect(switched.services[name]?.environment, name).toMatchObject({
        STORAGE_DRIVER: 's3',
        S3_BUCKET: 'images',
        S3_ENDPOINT: 'http://s3:7070',
        S3_FORCE_PATH_STYLE: 'true',
      });
    }
    expect(switched.services.s3?.environment).toMatchObject({
      S3_BUCKET: 'images',
      ROOT_ACCESS_KEY: 'access',
      ROOT_SECRET_KEY: 'secret',
    });
  });

  it('runs the five services with PostgreSQL, RabbitMQ with its management UI, and Jaeger', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [...appServices, 'jaeger', 'postgres', 'rabbitmq', 's3'].sort(),
    );
    expect(compose.services.rabbitmq?.image).toMatch(/management/);
    expect(compose.services.rabbitmq?.ports).toEqual(['15672:15672']);
    expect(compose.services.gateway?.ports).toEqual(['5000:5000']);
    expect(environmentValues(compose.services.product as ComposeService)).toContain('http://jaeger:4318');
  });

  it('limits gateway-class services to 1 CPU and 1G, reserving 0.5 CPU and 512M', () => {
    for (const name of ['gateway', 'product', 'upload', 'health']) {
      expect(compose.services[name]?.deploy?.resources, name).toEqual({
        limits: { cpus: '1', memory: '1G' },
        reservations: { cpus: '0.5', memory: '512M' },
      });
    }
  });
});

describe('the production compose file', () => {
  const compose: ComposeFile = loadCompose(join(repository, files.production), operatorEnv);

  it('puts nginx in front on 80 and 443 with the certificates of ./ssl', () => {
    const nginx = compose.services.nginx as ComposeService;
    expect(nginx.ports).toEqual(['80:80', '443:443']);
    expect(nginx.volumes).toContain('./ssl:/etc/nginx/ssl:ro');
    expect(nginx.volumes).toContain('./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'nginx') expect(service.ports, name).toBeUndefined();
    }
  });

  it('runs two or more gateways sharing a Redis rate-limit store, and two or more workers', () => {
    expect(compose.services.gateway?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(compose.services['image-worker']?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(compose.services.gateway?.environment).toMatchObject({
      RATE_LIMIT_STORE: 'redis',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(compose.services.redis?.healthcheck).toBeDefined();
  });

  it('rolls out new containers before stopping old ones, restarts on failure and rotates logs', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.deploy?.restart_policy?.condition, name).toBe('on-failure');
      expect(service.logging?.options, name).toMatchObject({
        'max-size': expect.any(String),
        'max-file': expect.any(String),
      });
    }
    for (const name of [...appServices, 'nginx']) {
      expect(compose.services[name]?.deploy?.update_config?.order, name).toBe('start-first');
    }
  });
});

describe('the production nginx config', () => {
  const config = readFileSync(join(repository, 'deploy/nginx/nginx.conf'), 'utf8');
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  function nginxTest(text: string) {
    const directory = mkdtempSync(join(tmpdir(), 'nginx-check-'));
    // The image has /var/cache/nginx (a tmpfs in the compose file).
    mkdirSync(join(directory, 'cache'));
    directories.push(directory);
    const local = text
      .replaceAll('/var/cache/nginx', join(directory, 'cache'))
      .replaceAll('/var/run/nginx.pid', join(directory, 'nginx.pid'))
      .replaceAll('/etc/nginx/ssl', directory)
      // The test runner's stdio are sockets, which nginx cannot open by path.
      .replaceAll('/dev/stdout', join(directory, 'access.log'))
      .replaceAll('/dev/stderr', join(directory, 'error.log'));
    writeFileSync(join(directory, 'nginx.conf'), local);
    return {
      directory,
      result: () => run('nginx', ['-t', '-p', directory, '-e', 'stderr', '-c', join(directory, 'nginx.conf')]),
    };
  }

  it('passes nginx -t as shipped', () => {
    const { result } = nginxTest(config);
    const output = result().output;
    expect(output, output).toContain('test is successful');
  });

  it('passes nginx -t with its 443 server block enabled and certificates in place', () => {
    const enabled = config.replace(/^ {2}# server \{[\s\S]*?^ {2}# \}$/m, (block) => block.replace(/^ {2}# ?/gm, '  '));
    expect(enabled).toContain('listen 443 ssl');
    const { directory, result } = nginxTest(enabled);
    succeed('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(directory, 'privkey.pem'),
      '-out',
      join(directory, 'fullchain.pem'),
    ]);
    const output = result().output;
    expect(output, output).toContain('test is successful');
  });
});
