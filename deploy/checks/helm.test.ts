// The Helm chart: lints, renders its options as documented, and its migration command really migrates.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { QUEUES } from '@ipp/contracts';
import { createTestDatabase } from '@ipp/platform/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { byKind, type Manifest, podSpec } from './manifest.ts';
import { chart, helmTemplate, parseManifests, repository, run, tool } from './tools.ts';

const prodValues = `${chart}/values-prod.yaml`;

function render(options: Parameters<typeof helmTemplate>[0] = {}) {
  return parseManifests(helmTemplate(options));
}

function named(manifests: Manifest[], kind: string, suffix: string) {
  const found = byKind(manifests, kind).find((manifest) => manifest.metadata.name.endsWith(suffix));
  if (found === undefined) throw new Error(`no ${kind} named *${suffix}`);
  return found;
}

/** Dotted paths of every leaf of a values file (maps of free-form keys such as env count as leaves). */
function valuePaths(values: Record<string, unknown>, prefix = ''): string[] {
  const freeForm = [
    'config',
    'env',
    'annotations',
    'podAnnotations',
    'serviceAccountAnnotations',
    'nodeSelector',
    'resources',
  ];
  return Object.entries(values).flatMap(([key, value]) => {
    const path = `${prefix}${key}`;
    const nested = value !== null && typeof value === 'object' && !Array.isArray(value) && !freeForm.includes(key);
    return nested ? valuePaths(value as Record<string, unknown>, `${path}.`) : [path];
  });
}

describe('the helm chart', () => {
  it('passes helm lint with the default and the prod values', () => {
    for (const args of [[], ['--values', prodValues]]) {
      const result = run(tool('helm'), ['lint', '--strict', chart, ...args]);
      expect(result.output).toContain('0 chart(s) failed');
      expect(result.status).toBe(0);
    }
  });

  it('refuses values that break its schema, naming the value', () => {
    const result = run(tool('helm'), ['template', chart, '--set', 'services.imageWorker.replicas=-1']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('/services/imageWorker/replicas');
    const unknown = run(tool('helm'), ['template', chart, '--set', 'services.imageWroker.replicas=2']);
    expect(unknown.stderr).toContain("additional properties 'imageWroker' not allowed");
    const retention = run(tool('helm'), ['template', chart, '--set-string', 'config.UPLOAD_RETENTION_DAYS=a week']);
    expect(retention.status).not.toBe(0);
    expect(retention.stderr).toContain('/config/UPLOAD_RETENTION_DAYS');
  });

  it('builds the connection URLs into its Secret, escaping the passwords', () => {
    const secret = named(
      render({ set: ['database.password=p@ss:w/rd', 'rabbitmq.password=r&m', 'rabbitmq.vhost=/'] }),
      'Secret',
      '-secrets',
    );
    expect(secret.stringData?.DATABASE_URL).toBe(
      'postgres://image_processing:p%40ss%3Aw%2Frd@postgres:5432/image_processing',
    );
    expect(secret.stringData?.AMQP_URL).toBe('amqp://image_processing:r%26m@rabbitmq:5672/%2F');
    expect(secret.stringData?.WEBHOOK_SECRET).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  });

  it('creates no Secret with existingSecret and points every pod at the named one', () => {
    const manifests = render({ set: ['existingSecret=platform-credentials'] });
    expect(byKind(manifests, 'Secret')).toEqual([]);
    for (const workload of [...byKind(manifests, 'Deployment'), ...byKind(manifests, 'Job')]) {
      const sources = podSpec(workload).containers.flatMap((container) => container.envFrom ?? []);
      expect(sources.map((source) => source.secretRef?.name).filter(Boolean)).toEqual(['platform-credentials']);
    }
  });

  it('scales the workers with a KEDA ScaledObject on the jobs queue instead of an HPA when keda is enabled', () => {
    const manifests = render({ set: ['keda.enabled=true'] });
    const scaledObject = named(manifests, 'ScaledObject', '-image-worker');
    const spec = scaledObject.spec as {
      scaleTargetRef: { name: string };
      triggers: { metadata: Record<string, string> }[];
    };
    expect(spec.scaleTargetRef.name).toBe(named(manifests, 'Deployment', '-image-worker').metadata.name);
    expect(spec.triggers[0]?.metadata).toMatchObject({
      queueName: QUEUES.jobs,
      mode: 'QueueLength',
      hostFromEnv: 'AMQP_URL',
    });
    expect(byKind(manifests, 'HorizontalPodAutoscaler').map((hpa) => hpa.metadata.name)).not.toContain(
      scaledObject.metadata.name,
    );
    expect(byKind(render(), 'ScaledObject')).toEqual([]);
  });

  it('fits its small profile (values-small.yaml) and a rolling update on a 2-CPU node', () => {
    const millicores = (value: string | number | undefined) =>
      typeof value === 'string' && value.endsWith('m') ? Number(value.slice(0, -1)) : Number(value ?? 0) * 1000;
    const requested = (manifests: Manifest[]) =>
      byKind(manifests, 'Deployment').map((deployment) => {
        const replicas = (deployment.spec as { replicas?: number }).replicas ?? 1;
        const cpu = podSpec(deployment).containers.reduce(
          (sum, container) => sum + millicores(container.resources?.requests?.cpu),
          0,
        );
        return { replicas, cpu };
      });
    const small = requested(render({ valuesFiles: [`${chart}/values-small.yaml`] }));
    const total = small.reduce((sum, deployment) => sum + deployment.replicas * deployment.cpu, 0);
    const surge = Math.max(...small.map((deployment) => deployment.cpu));
    // Half the node: PostgreSQL, RabbitMQ and the cluster's own pods keep the other half.
    expect(total + surge).toBeLessThanOrEqual(1000);
    expect(small.every((deployment) => deployment.replicas === 1)).toBe(true);
  });

  it('turns tracing on only when otel.endpoint is set', () => {
    const config = (manifests: Manifest[]) => named(manifests, 'ConfigMap', '-config').data ?? {};
    expect(config(render())).not.toHaveProperty('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(config(render({ set: ['otel.endpoint=http://collector:4318'] }))).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_TRACES_EXPORTER: 'otlp',
    });
  });

  it('stores STORAGE_DIR on a ReadWriteMany claim, or on an existing claim', () => {
    const claim = named(render(), 'PersistentVolumeClaim', '-storage');
    expect((claim.spec as { accessModes: string[] }).accessModes).toEqual(['ReadWriteMany']);
    const manifests = render({ set: ['storage.existingClaim=shared-images'] });
    expect(byKind(manifests, 'PersistentVolumeClaim')).toEqual([]);
    const volumes = podSpec(named(manifests, 'Deployment', '-upload')).volumes ?? [];
    expect(volumes.map((volume) => volume.persistentVolumeClaim?.claimName)).toContain('shared-images');
  });

  it('with storage.driver=s3 mounts no volume anywhere and passes the bucket, its secret and IRSA annotations', () => {
    const manifests = render({
      set: [
        'storage.driver=s3',
        'storage.s3.bucket=images',
        'storage.s3.endpoint=https://s3.example.com',
        'storage.s3.forcePathStyle=true',
        'storage.s3.existingSecret=images-keys',
        'storage.s3.serviceAccountAnnotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::1:role/images',
      ],
    });
    expect(byKind(manifests, 'PersistentVolumeClaim')).toEqual([]);
    for (const deployment of byKind(manifests, 'Deployment')) {
      const pod = podSpec(deployment);
      expect(pod.volumes?.map((volume) => volume.name)).toEqual(['tmp']);
      expect(pod.containers[0]?.volumeMounts?.map((mount) => mount.mountPath)).toEqual(['/tmp']);
    }
    expect(named(manifests, 'ConfigMap', '-config').data).toMatchObject({
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'images',
      S3_ENDPOINT: 'https://s3.example.com',
      S3_FORCE_PATH_STYLE: 'true',
    });
    for (const name of ['-upload', '-image-worker']) {
      const secrets = podSpec(named(manifests, 'Deployment', name)).containers[0]?.envFrom;
      expect(secrets?.map((source) => source.secretRef?.name)).toContain('images-keys');
      expect(named(manifests, 'ServiceAccount', name).metadata.annotations).toEqual({
        'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/images',
      });
    }
    const product = podSpec(named(manifests, 'Deployment', '-product')).containers[0]?.envFrom ?? [];
    expect(product.map((source) => source.secretRef?.name)).not.toContain('images-keys');
    expect(named(manifests, 'ServiceAccount', '-product').metadata.annotations).toBeUndefined();
  });

  it('refuses storage.driver=s3 without a bucket, and says fs needs ReadWriteMany in its notes', () => {
    const result = run(tool('helm'), ['template', chart, '--set', 'storage.driver=s3']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('storage.s3.bucket is required');
    // helm template renders no NOTES.txt; its fs branch and the README say it in plain words.
    for (const file of ['templates/NOTES.txt', 'README.md']) {
      expect(readFileSync(`${repository}/${chart}/${file}`, 'utf8')).toMatch(/must support\s+\**ReadWriteMany/);
    }
  });

  it('lets Prometheus in the monitoring namespace scrape each probe port only when that namespace is set', () => {
    const scrapers = (manifests: Manifest[]) =>
      JSON.stringify(named(manifests, 'NetworkPolicy', '-product').spec).includes(
        '"kubernetes.io/metadata.name":"monitoring"',
      );
    expect(scrapers(render())).toBe(false);
    expect(scrapers(render({ set: ['networkPolicy.monitoringNamespace=monitoring'] }))).toBe(true);
  });

  it('lets the upload service and the workers reach private networks only with FETCH_ALLOW_PRIVATE_NETWORKS', () => {
    const privateReachable = (manifests: Manifest[]) =>
      ['-upload', '-image-worker'].map((suffix) => {
        const egress = JSON.stringify(named(manifests, 'NetworkPolicy', suffix).spec?.egress);
        return egress.includes('"cidr":"0.0.0.0/0"') && !egress.includes('10.0.0.0/8');
      });
    expect(privateReachable(render())).toEqual([false, false]);
    expect(privateReachable(render({ set: ['config.FETCH_ALLOW_PRIVATE_NETWORKS=true'] }))).toEqual([true, true]);
  });

  it('has a helm test hook that checks /health/ready through the health service', () => {
    const pod = named(render(), 'Pod', '-test-ready');
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect(podSpec(pod).containers[0]?.args?.join(' ')).toContain('-health:5103/health/ready');
  });

  it('runs migrations once per release, and its command migrates every schema of an empty database', async () => {
    const job = named(render(), 'Job', '-migrate-1');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('post-install,pre-upgrade');
    const containers = [...(podSpec(job).initContainers ?? []), ...podSpec(job).containers];
    expect(containers.map((container) => container.name)).toEqual([
      'migrate-product',
      'migrate-auth',
      'migrate-upload',
    ]);
    const database = await createTestDatabase('helm_migrations');
    try {
      for (const container of containers) {
        // The image's WORKDIR holds the same tree as the repository root.
        const result = spawnSync(process.execPath, [...(container.command ?? []).slice(1), ...(container.args ?? [])], {
          cwd: repository,
          env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn' },
          encoding: 'utf8',
        });
        expect(result.stderr + result.stdout).toContain('migrated schema');
        expect(result.status).toBe(0);
      }
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query<{ schema: string }>(
        "SELECT table_schema || '.' || table_name AS schema FROM information_schema.tables WHERE table_name IN ('mikro_orm_migrations', 'schema_migrations')",
      );
      await client.end();
      expect(rows.map((row) => row.schema).sort()).toEqual([
        'auth.schema_migrations',
        'product.mikro_orm_migrations',
        'upload.schema_migrations',
      ]);
    } finally {
      await database.drop();
    }
  });

  it('documents every value in its README', () => {
    const values = parse(readFileSync(`${repository}/${chart}/values.yaml`, 'utf8')) as Record<string, unknown>;
    const readme = readFileSync(`${repository}/${chart}/README.md`, 'utf8');
    // Per-service values are documented once, as services.<name>.…
    const paths = valuePaths(values).map((path) => path.replace(/^services\.\w+\./, 'services.<name>.'));
    const missing = [...new Set(paths)].filter((path) => !readme.includes(`\`${path}\``));
    expect(missing).toEqual([]);
  });
});
