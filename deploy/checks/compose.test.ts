// Both compose files are valid Compose specification documents once interpolated from .env.example, and
// have what running the platform on one machine needs, including what the first real run (issue 17) found
// missing; the prod nginx config passes `nginx -t`. compose-up.test.ts runs both files for real.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { deployables, probePorts } from '../../scripts/tools/deployables.ts';
import {
  type ComposeFile,
  type ComposeService,
  durationSeconds,
  loadCompose,
  readCompose,
  readEnvFile,
} from './compose.ts';
import { repository, run, tool } from './tools.ts';

const files = { development: 'docker-compose.yml', production: 'docker-compose.prod.yml' };
const appServices = Object.keys(deployables);
const volumes = ['db_data', 'rabbitmq_data', 'storage'];
// Starting node (or an Erlang VM) for a probe takes seconds on a busy 2-core machine: a 3 s timeout turned
// RabbitMQ unhealthy there, and every service waiting for it never started.
const minimumTimeoutS = 10;
const erlangTimeoutS = 20;
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
    // No fixed name: each project gets its own network, so two stacks never answer for each other's names.
    expect(compose.networks['image-processing-network']).toEqual({ driver: 'bridge' });
  });

  it('gives every healthcheck a timeout that holds on a busy machine, and a command without spaces', () => {
    const compose = loadCompose(path, operatorEnv);
    for (const [name, service] of Object.entries(compose.services)) {
      const healthcheck = service.healthcheck ?? { test: [] };
      const timeoutS = durationSeconds(healthcheck.timeout ?? '30s');
      expect(timeoutS, name).toBeGreaterThanOrEqual(
        healthcheck.test.includes('rabbitmq-diagnostics') ? erlangTimeoutS : minimumTimeoutS,
      );
      // Podman <= 5.7's Docker API splits a CMD healthcheck on whitespace (containers/podman#26519).
      expect(healthcheck.test[0], name).toBe('CMD');
      expect(
        healthcheck.test.filter((part) => /\s/.test(part)),
        name,
      ).toEqual([]);
    }
  });

  it('gives every service a grace period to stop cleanly before it is killed', () => {
    const compose = loadCompose(path, operatorEnv);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(durationSeconds(service.stop_grace_period ?? '0s'), name).toBeGreaterThanOrEqual(10);
    }
  });

  it('keeps RabbitMQ under one node name, so its data survives a recreated container', () => {
    expect(loadCompose(path, operatorEnv).services.rabbitmq?.hostname).toBe('rabbitmq');
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
    // The health service's readiness is down until product and upload are ready: started before them, it
    // turned unhealthy on a busy machine and stopped the stack.
    expect(Object.keys(compose.services.health?.depends_on ?? {})).toEqual(
      expect.arrayContaining(['product', 'upload']),
    );
  });

  it('checks that each service can do its work (/health/ready of its probe port) and runs it read-only with a /tmp tmpfs', () => {
    const compose = loadCompose(path, operatorEnv);
    for (const name of appServices) {
      const service = compose.services[name] as ComposeService;
      expect(service.healthcheck?.test.join(' '), name).toContain(`http://127.0.0.1:${probePorts[name]}/health/ready`);
      expect(service.read_only, name).toBe(true);
      expect(service.tmpfs, name).toEqual(['/tmp']);
    }
  });

  it('keeps data in the named volumes, all of STORAGE_DIR in one volume shared by upload, image-worker and health', () => {
    const compose = loadCompose(path, operatorEnv);
    // The development file's s3 profile keeps its bucket in a volume of its own.
    expect(Object.keys(compose.volumes).filter((name) => name !== 's3_data')).toEqual(volumes);
    // The worker stages each output in STORAGE_DIR/tmp and renames it into outputs/: one mount, or EXDEV.
    for (const name of ['upload', 'image-worker', 'health']) {
      expect(compose.services[name]?.environment?.STORAGE_DIR, name).toBe('/data');
    }
    expect(compose.services.upload?.volumes).toEqual(['storage:/data']);
    expect(compose.services['image-worker']?.volumes).toEqual(['storage:/data']);
    expect(compose.services.health?.volumes).toEqual(['storage:/data:ro']);
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
    expect(environmentValues(compose.services.product as ComposeService)).toContain('http://jaeger:4318');
  });

  it('publishes the gateway, the management UI and Jaeger on 127.0.0.1 at the ports .env sets, or where asked', () => {
    const published = (env: Record<string, string>) =>
      Object.values(loadCompose(join(repository, files.development), env).services).flatMap(
        (service) => service.ports ?? [],
      );
    expect(published(operatorEnv).sort()).toEqual([
      '127.0.0.1:15672:15672',
      '127.0.0.1:16686:16686',
      '127.0.0.1:5000:5000',
    ]);
    const elsewhere = { ...operatorEnv, WEB_PORT: '18080', RABBITMQ_MANAGEMENT_PORT: '18081', JAEGER_UI_PORT: '18082' };
    expect(published(elsewhere).sort()).toEqual([
      '127.0.0.1:18080:5000',
      '127.0.0.1:18081:15672',
      '127.0.0.1:18082:16686',
    ]);
    expect(published({ ...operatorEnv, PUBLISH_ADDRESS: '0.0.0.0' })).toContain('0.0.0.0:5000:5000');
  });

  it('hands out output URLs on the published gateway port', () => {
    const { PUBLIC_BASE_URL: _, ...example } = operatorEnv;
    const environment = (env: Record<string, string>) =>
      loadCompose(join(repository, files.development), env).services.upload?.environment ?? {};
    expect(environment({ ...example, WEB_PORT: '18080' }).PUBLIC_BASE_URL).toBe('http://localhost:18080');
    expect(environment(example).PUBLIC_BASE_URL).toBe('http://localhost:5000');
    expect(environment({ ...example, PUBLIC_BASE_URL: 'https://images.example.com' }).PUBLIC_BASE_URL).toBe(
      'https://images.example.com',
    );
  });

  it('runs the Jaeger release the tests build (scripts/tools/jaeger.sh)', () => {
    const script = readFileSync(join(repository, 'scripts/tools/jaeger.sh'), 'utf8');
    const module = /JAEGER_VERSION:-v1\.(\d+)\.0/.exec(script)?.[1];
    // Jaeger 2.x is tagged v1.(x+63) in its Go module: v1.75.0 is 2.12.0.
    expect(compose.services.jaeger?.image).toBe(`jaegertracing/jaeger:2.${Number(module) - 63}.0`);
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

  it('puts nginx in front on 80 and 443 (127.0.0.1 unless PUBLISH_ADDRESS says otherwise) with the certificates of SSL_DIR', () => {
    const nginx = compose.services.nginx as ComposeService;
    expect(nginx.ports).toEqual(['127.0.0.1:80:80', '127.0.0.1:443:443']);
    const everywhere = loadCompose(join(repository, files.production), { ...operatorEnv, PUBLISH_ADDRESS: '0.0.0.0' });
    expect(everywhere.services.nginx?.ports).toEqual(['0.0.0.0:80:80', '0.0.0.0:443:443']);
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

  it('restarts on failure and rotates logs', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.deploy?.restart_policy?.condition, name).toBe('on-failure');
      expect(service.logging?.options, name).toMatchObject({
        'max-size': expect.any(String),
        'max-file': expect.any(String),
      });
    }
  });

  it('asks only for what docker compose does, and deploy/README.md promises no more', () => {
    // update_config and rollback_config act only in Swarm: compose warns and ignores them.
    expect(readFileSync(join(repository, files.production), 'utf8')).not.toMatch(/update_config|rollback_config/);
    const readme = readFileSync(join(repository, 'deploy/README.md'), 'utf8').split('## Kubernetes')[0] ?? '';
    expect(readme).not.toMatch(
      /rolls?\s+(updates?\s+)?out\s+new-container-first|start-first|update_config|(?<!no )rolling update/i,
    );
  });

  it("resolves the gateways with the container's own DNS servers, on Docker as on podman", () => {
    const config = readFileSync(join(repository, 'deploy/nginx/nginx.conf'), 'utf8');
    // 127.0.0.11 is Docker's embedded DNS only: on podman every proxied request failed.
    expect(config).not.toMatch(/^\s*resolver\b/m);
    expect(config).toContain('include /etc/nginx/conf.d/*.conf;');
    const template = readFileSync(join(repository, 'deploy/nginx/templates/resolver.conf.template'), 'utf8');
    expect(template).toMatch(/^resolver \$\{NGINX_LOCAL_RESOLVERS\} /m);
    const nginx = compose.services.nginx as ComposeService;
    expect(nginx.environment).toMatchObject({ NGINX_ENTRYPOINT_LOCAL_RESOLVERS: '1' });
    expect(nginx.volumes).toContain('./deploy/nginx/templates:/etc/nginx/templates:ro');
    expect(nginx.tmpfs).toContain('/etc/nginx/conf.d');
  });
});

describe('the production nginx config', () => {
  const config = readFileSync(join(repository, 'deploy/nginx/nginx.conf'), 'utf8');
  const template = readFileSync(join(repository, 'deploy/nginx/templates/resolver.conf.template'), 'utf8');
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  /** nginx -t of the config as the container has it: the resolver rendered, certificates in SSL_DIR. */
  function nginxTest(certificates: boolean) {
    const directory = mkdtempSync(join(tmpdir(), 'nginx-check-'));
    directories.push(directory);
    // The image has /var/cache/nginx and conf.d (tmpfs in the compose file).
    mkdirSync(join(directory, 'cache'));
    mkdirSync(join(directory, 'conf.d'));
    writeFileSync(
      join(directory, 'conf.d/resolver.conf'),
      template.replace(/\$\{NGINX_LOCAL_RESOLVERS\}/, '127.0.0.1'),
    );
    if (certificates) {
      const made = run('bash', [join(repository, 'deploy/nginx/certificate.sh'), 'localhost'], undefined, {
        SSL_DIR: directory,
      });
      expect(made.output).toContain('fullchain.pem');
    }
    const local = config
      .replaceAll('/var/cache/nginx', join(directory, 'cache'))
      .replaceAll('/etc/nginx/conf.d', join(directory, 'conf.d'))
      .replaceAll('/var/run/nginx.pid', join(directory, 'nginx.pid'))
      .replaceAll('/etc/nginx/ssl', directory)
      // The test runner's stdio are sockets, which nginx cannot open by path.
      .replaceAll('/dev/stdout', join(directory, 'access.log'))
      .replaceAll('/dev/stderr', join(directory, 'error.log'));
    writeFileSync(join(directory, 'nginx.conf'), local);
    return run('nginx', ['-t', '-p', directory, '-e', 'stderr', '-c', join(directory, 'nginx.conf')]).output;
  }

  it('passes nginx -t with the rendered resolver and a certificate from deploy/nginx/certificate.sh', () => {
    const output = nginxTest(true);
    expect(output, output).toContain('test is successful');
  });

  it('serves HTTPS on 443 and redirects port 80 there, except its own healthcheck', () => {
    expect(config).toMatch(/listen 443 ssl/);
    expect(config).toContain('return 301 https://$host$request_uri;');
    expect(config).toMatch(/location = \/nginx-health \{[^}]*proxy_pass \$gateway_ready;/);
    // Without a certificate nginx refuses to start rather than serving plain HTTP.
    expect(nginxTest(false)).toMatch(/fullchain\.pem/);
  });
});
