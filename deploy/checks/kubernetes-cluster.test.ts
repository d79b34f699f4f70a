// The manifests and the chart on a real Kubernetes node (scripts/cluster.sh: a single node, v1.37 built from
// source, on containerd, the project's images built with podman and loaded into it):
// - every kustomize overlay and every documented chart example accepted by a server-side dry run, KEDA's
//   ScaledObject and the HPAs created for real;
// - the dev overlay applied: every pod Ready; then the chart installed beside its PostgreSQL and RabbitMQ with
//   the small profile: every pod Ready, the README's quick start through the gateway Service, traces in a
//   collector, `helm test`, a worker pod deleted mid-batch, a rolling `helm upgrade` under load, `helm uninstall`;
// - the host left as the cluster found it (sysctls, iptables chains, mounts, network namespaces, links,
//   processes).
// Run with `npm run test:deploy`; needs root. Third-party images are local stand-ins.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '@ipp/platform/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployables } from '../../scripts/tools/deployables.ts';
import { type Cluster, execute, podNetworkGateway, startCluster, startHostFileServer } from './cluster.ts';
import { buildImages, standIns } from './compose-stack.ts';
import { byKind } from './manifest.ts';
import { platformClient, tracedServices } from './platform-client.ts';
import { preparePodman } from './podman.ts';
import { chart, parseManifests, repository } from './tools.ts';

const smallValues = `${chart}/values-small.yaml`;
let cluster: Cluster | undefined;
let before: string;

/** What the cluster may change on the host, as text to compare before `up` and after `down`. */
async function hostState() {
  const sysctls = await execute('sysctl', [
    'vm.overcommit_memory',
    'vm.panic_on_oom',
    'kernel.panic',
    'kernel.panic_on_oops',
    'kernel.keys.root_maxkeys',
    'kernel.keys.root_maxbytes',
    'net.ipv4.ip_forward',
    'net.ipv4.conf.all.route_localnet',
  ]);
  const chains = await execute('bash', ['-c', 'iptables-save | grep -E "^:(KUBE|CNI)-|-j (KUBE|CNI)-" || true']);
  const chains6 = await execute('bash', ['-c', 'ip6tables-save | grep -E "^:(KUBE|CNI)-|-j (KUBE|CNI)-" || true']);
  const mounts = await execute('bash', [
    '-c',
    'findmnt -rn -o TARGET | grep -E "ipp-cluster|kubelet|containerd" || true',
  ]);
  const links = await execute('bash', ['-c', 'ip -br link show ipp-k8s0 2>/dev/null || true']);
  const netns = await execute('bash', ['-c', 'ls /run/netns 2>/dev/null | grep "^cni-" || true']);
  const processes = await execute('bash', [
    '-c',
    'pgrep -a -f "[i]pp-cluster|[k]ube-apiserver|[k]ubelet --config|[c]ontainerd-shim" || true',
  ]);
  return [sysctls, chains, chains6, mounts, links, netns, processes].map((result) => result.stdout).join('\n--\n');
}

function live() {
  if (cluster === undefined) throw new Error('no cluster');
  return cluster;
}
const kubectl = (args: string[], input?: string) => live().kubectl(args, input);

const times: Record<string, number> = {};
const seconds = (start: number) => Math.round((performance.now() - start) / 100) / 10;
/** The images the dev overlay and the chart run: the project's at the chart's appVersion, and stand-ins. */
const appVersion = '0.1.0';
const projectImages = Object.keys(deployables).map((name) => `docker.io/image-processing/${name}:${appVersion}`);
const thirdPartyImages = ['postgres:17.6-alpine', 'rabbitmq:4.1.4-management', 'jaegertracing/jaeger:2.12.0'];

beforeAll(async () => {
  before = await hostState();
  let start = performance.now();
  preparePodman();
  standIns();
  await buildImages(appVersion);
  times.imagesS = seconds(start);
  start = performance.now();
  cluster = await startCluster();
  times.upS = seconds(start);
  start = performance.now();
  await cluster.load([...projectImages, ...thirdPartyImages]);
  times.loadS = seconds(start);
  // KEDA's CRDs, as its Go module ships them, so the ScaledObject of the production example is checked.
  const crds = (await execute('bash', ['scripts/tools/keda-crds.sh'])).stdout.trim();
  for (const file of readdirSync(crds).filter((name) => name.endsWith('.yaml'))) {
    await cluster.mustKubectl(['apply', '--server-side', '--filename', join(crds, file)]);
  }
  await cluster.mustKubectl(['wait', '--for=condition=Established', 'crd/scaledobjects.keda.sh', '--timeout=60s']);
  await cluster.kubectl(['create', 'namespace', 'dry-run']);
}, 3_600_000);

afterAll(async () => {
  if (cluster !== undefined) await cluster.down();
  console.table(times);
}, 600_000);

describe('the API server accepts (server-side dry run)', () => {
  const overlays = readdirSync(join(repository, 'k8s/overlays'));

  it.each(overlays)('every object of the %s overlay', async (overlay) => {
    const rendered = await live().mustKubectl(['kustomize', `k8s/overlays/${overlay}`]);
    const objects = parseManifests(rendered);
    // A dry run creates no namespace, so the objects in it would be refused for its absence.
    for (const name of new Set(objects.map((object) => object.metadata.namespace).filter(Boolean))) {
      await kubectl(['create', 'namespace', String(name)]);
    }
    const result = await kubectl(['apply', '--dry-run=server', '--filename', '-'], rendered);
    expect(result.code, result.output).toBe(0);
    const accepted = result.stdout.split('\n').filter((line) => line.endsWith('(server dry run)'));
    expect(accepted).toHaveLength(objects.length);
  });

  const examples: Record<string, string[]> = {
    'default values': [],
    'the production example (values-prod.yaml: KEDA, TLS, existingSecret)': ['--values', `${chart}/values-prod.yaml`],
    'the small profile (values-small.yaml)': ['--values', smallValues],
    "the chart README's install command": [
      '--set',
      'database.host=postgres.example.internal',
      '--set',
      'database.password=example',
      '--set',
      'rabbitmq.host=rabbitmq.example.internal',
      '--set',
      'rabbitmq.password=example',
      '--set',
      'ingress.host=images.example.com',
      '--set',
      'config.PUBLIC_BASE_URL=https://images.example.com',
    ],
    'S3 storage': ['--set', 'storage.driver=s3', '--set', 'storage.s3.bucket=images'],
  };

  it.each(Object.entries(examples))('the chart with %s', async (_label, values) => {
    const result = await live().helm([
      'install',
      'dry',
      chart,
      '--namespace',
      'dry-run',
      '--dry-run=server',
      ...values,
    ]);
    expect(result.code, result.output).toBe(0);
    const objects = parseManifests(result.stdout.split('\nMANIFEST:\n')[1]?.split('\nNOTES:\n')[0] ?? '');
    expect(objects.length).toBeGreaterThan(10);
    const scaler = values.includes(`${chart}/values-prod.yaml`) ? 'ScaledObject' : 'HorizontalPodAutoscaler';
    expect(byKind(objects, scaler).length, scaler).toBeGreaterThan(0);
  });

  it('KEDA ScaledObject and HorizontalPodAutoscaler objects, created for real', async () => {
    const rendered = await live().mustHelm([
      'template',
      'scalers',
      chart,
      '--namespace',
      'dry-run',
      '--values',
      `${chart}/values-prod.yaml`,
      '--set',
      'services.product.autoscaling.enabled=true',
    ]);
    const scalers = parseManifests(rendered).filter((object) =>
      ['ScaledObject', 'HorizontalPodAutoscaler'].includes(object.kind),
    );
    expect(scalers.map((object) => object.kind)).toEqual(
      expect.arrayContaining(['ScaledObject', 'HorizontalPodAutoscaler']),
    );
    const text = scalers.map((object) => `---\n${JSON.stringify(object)}`).join('\n');
    const result = await kubectl(['create', '--namespace', 'dry-run', '--filename', '-'], text);
    expect(result.code, result.output).toBe(0);
    await live().mustKubectl(['delete', 'namespace', 'dry-run', '--wait=false']);
  });
});

const namespace = 'image-processing-dev';
const release = 'chart';
const adminKey = `ipp_${randomBytes(18).toString('base64url')}`;

/** http://<cluster IP>:<port> of a Service: the host reaches Services through kube-proxy. */
async function serviceUrl(name: string) {
  const text = await live().mustKubectl(['get', 'service', name, '--namespace', namespace, '--output', 'json']);
  const service = JSON.parse(text) as { spec: { clusterIP: string; ports: { port: number }[] } };
  return `http://${service.spec.clusterIP}:${service.spec.ports[0]?.port}`;
}

type Workload = {
  kind: string;
  metadata: { name: string };
  spec: { replicas?: number };
  status: { readyReplicas?: number; updatedReplicas?: number };
};

/** Every Deployment and StatefulSet of the namespace (of `selector`) with all its replicas ready and updated. */
async function everyWorkloadReady(selector: string[] = [], timeoutMs = 900_000) {
  return until(
    async () => {
      const text = await live().mustKubectl([
        'get',
        'deployments,statefulsets',
        '--namespace',
        namespace,
        ...selector,
        '--output',
        'json',
      ]);
      const workloads = (JSON.parse(text) as { items: Workload[] }).items;
      const ready = workloads.every(
        (workload) =>
          (workload.status.readyReplicas ?? 0) === (workload.spec.replicas ?? 1) &&
          (workload.status.updatedReplicas ?? 0) === (workload.spec.replicas ?? 1),
      );
      return workloads.length > 0 && ready
        ? workloads.map((workload) => `${workload.kind}/${workload.metadata.name}`).sort()
        : undefined;
    },
    { timeoutMs, intervalMs: 2000 },
  ).catch(async (error: unknown) => {
    const pods = await kubectl(['get', 'pods', '--namespace', namespace, '--output', 'wide']);
    const events = await kubectl(['get', 'events', '--namespace', namespace, '--sort-by', '.lastTimestamp']);
    throw new Error(`${String(error)}\n${pods.output}\n${events.output.slice(-4000)}`);
  });
}

describe('the dev overlay (kubectl apply -k k8s/overlays/dev), running', () => {
  it('has every pod Ready and answers ready through its gateway Service', async () => {
    const start = performance.now();
    await live().mustKubectl(['apply', '--kustomize', 'k8s/overlays/dev']);
    const workloads = await everyWorkloadReady();
    times.devOverlayReadyS = seconds(start);
    expect(workloads).toEqual(
      expect.arrayContaining([
        ...Object.keys(deployables).map((name) => `Deployment/${name}`),
        'StatefulSet/postgres',
        'StatefulSet/rabbitmq',
      ]),
    );
    const gateway = await serviceUrl('gateway');
    const ready = await until(
      async () => {
        const answer = await fetch(`${gateway}/health/ready`).catch(() => undefined);
        return answer?.ok ? answer.status : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    expect(ready).toBe(200);
  }, 1_200_000);
});

describe('the chart (helm install --wait, small profile), beside the dev overlay’s PostgreSQL and RabbitMQ', () => {
  let files: Awaited<ReturnType<typeof startHostFileServer>>;
  let client: ReturnType<typeof platformClient>;
  let gateway = '';
  let jaeger = '';
  const fullname = `${release}-image-processing`;
  const values = [
    '--values',
    smallValues,
    '--set',
    'database.password=dev-only-password',
    '--set',
    'rabbitmq.password=dev-only-password',
    '--set',
    `bootstrapAdminKey=${adminKey}`,
    '--set',
    'otel.endpoint=http://jaeger:4318',
    // The test's images are served from the node's pod network, a private one.
    '--set-string',
    'config.FETCH_ALLOW_PRIVATE_NETWORKS=true',
    // One client (this test) polls far more often than a person would.
    '--set-string',
    'config.RATE_LIMIT_POINTS=100000',
    '--set',
    'ingress.enabled=false',
    '--set',
    'storage.accessModes={ReadWriteOnce}',
    '--set',
    'storage.size=2Gi',
  ];
  const jpeg = (background: string, width = 1600, height = 1200) =>
    sharp({ create: { width, height, channels: 3, background } })
      .jpeg({ quality: 95 })
      .toBuffer();

  beforeAll(async () => {
    // The overlay's own services make room (2 CPUs) for the chart's; its PostgreSQL and RabbitMQ stay.
    await live().mustKubectl([
      'delete',
      'deployments',
      '--all',
      '--namespace',
      namespace,
      '--wait=true',
      '--timeout=300s',
    ]);
    await live().mustKubectl(['apply', '--namespace', namespace, '--filename', '-'], collector);
    files = await startHostFileServer(podNetworkGateway, {
      'desk.jpg': await jpeg('#a0522d'),
      'lamp.jpg': await jpeg('#336699', 800, 600),
      'big.jpg': await jpeg('#224466', 3000, 2000),
    });
  }, 600_000);

  afterAll(async () => {
    await files?.stop();
  });

  it('installs with every pod Ready', async () => {
    const start = performance.now();
    const install = await live().helm([
      'install',
      release,
      chart,
      '--namespace',
      namespace,
      ...values,
      '--wait',
      '--timeout',
      '15m',
    ]);
    times.helmInstallS = seconds(start);
    expect(
      install.code,
      `${install.output}\n${(await kubectl(['get', 'pods', '-n', namespace, '-o', 'wide'])).output}`,
    ).toBe(0);
    const workloads = await everyWorkloadReady(['--selector', `app.kubernetes.io/instance=${release}`], 120_000);
    expect(workloads).toEqual(
      Object.keys(deployables)
        .map((name) => `Deployment/${fullname}-${name}`)
        .sort(),
    );
    gateway = await serviceUrl(`${fullname}-gateway`);
    jaeger = await serviceUrl('jaeger').then((url) => url.replace(/:\d+$/, ':16686'));
    client = platformClient(gateway, { authorization: `Bearer ${adminKey}` });
  }, 1_200_000);

  it("takes the README's quick start through the gateway Service, traced in the configured collector", async () => {
    const serial = `K8S-${Date.now()}`;
    const created = await client.api('/api/products', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serial_number: serial, name: 'Walnut desk' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const found = (await (await client.api(`/api/products?search=${serial}`)).json()) as { items: unknown[] };
    expect(found.items).toHaveLength(1);

    const traceId = randomBytes(16).toString('hex');
    const requestId = await client.upload([`${serial},Walnut desk,"${files.url}/desk.jpg,${files.url}/lamp.jpg"`], {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    const done = await client.finished(requestId);
    expect(done).toMatchObject({ status: 'completed', total: 2, processed: 2, failed: 0 });
    const csv = await client.api(`/api/uploads/${requestId}/output.csv`);
    expect(csv.status).toBe(200);
    expect((await csv.text()).trim().split(/\r?\n/)).toHaveLength(2);
    const output = new URL(done.items[0]?.output_url ?? '');
    const image = await fetch(`${gateway}${output.pathname}`);
    expect(image.status).toBe(200);
    expect((await sharp(Buffer.from(await image.arrayBuffer())).metadata()).format).toBe('jpeg');

    const expected = ['gateway', 'upload', 'product', 'image-worker'];
    expect(await tracedServices(jaeger, traceId, expected)).toEqual(expect.arrayContaining(expected));
  }, 300_000);

  it('passes helm test', async () => {
    // The chart deletes a test pod that succeeded (hook-succeeded), so there are no logs to ask for.
    const result = await live().helm(['test', release, '--namespace', namespace, '--timeout', '5m']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/Phase:\s+Succeeded/);
  }, 600_000);

  const batch = (label: string, count: number) =>
    Array.from(
      { length: count },
      (_, index) => `K8S-${label}-${index},Batch ${index},${files.url}/big.jpg?${label}=${index}`,
    );

  it('finishes a batch whose worker pod is deleted mid-way, losing nothing', async () => {
    const count = 30;
    const requestId = await client.upload(batch('killed', count));
    await until(async () => ((await client.status(requestId)).processed >= 2 ? true : undefined), {
      timeoutMs: 300_000,
      intervalMs: 200,
    });
    await live().mustKubectl([
      'delete',
      'pod',
      '--namespace',
      namespace,
      '--selector',
      'app.kubernetes.io/name=image-worker',
      '--grace-period=0',
      '--force',
    ]);
    expect((await client.status(requestId)).processed).toBeLessThan(count);
    const done = await client.finished(requestId, 600_000);
    expect(done).toMatchObject({ status: 'completed', total: count, processed: count, failed: 0 });
    expect(done.items.filter((item) => !item.output_url)).toEqual([]);
  }, 900_000);

  it('rolls a helm upgrade to changed images without failing a request while an upload runs', async () => {
    // A new tag is what an upgrade changes in every pod template; the bytes behind it are this run's build (a
    // rebuild of unchanged sources would give the same layers), so every Deployment rolls to new pods.
    const tag = `${appVersion}-upgrade`;
    const changed = projectImages.map((image) => image.replace(`:${appVersion}`, `:${tag}`));
    await buildImages(tag);
    await live().load(changed);
    const count = 20;
    const requestId = await client.upload(batch('upgrade', count));
    // A client polling the running upload and the product list throughout the roll.
    const failures: string[] = [];
    let requests = 0;
    let rolling = true;
    const poller = (async () => {
      while (rolling) {
        for (const path of [`/api/status/${requestId}`, '/api/products?per_page=5']) {
          requests++;
          const answer = await client.api(path).catch((error: unknown) => String(error));
          if (typeof answer === 'string' || !answer.ok)
            failures.push(`${path}: ${typeof answer === 'string' ? answer : answer.status}`);
          else await answer.arrayBuffer();
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const start = performance.now();
    const upgrade = await live().helm([
      'upgrade',
      release,
      chart,
      '--namespace',
      namespace,
      ...values,
      '--set',
      `global.image.tag=${tag}`,
      '--wait',
      '--timeout',
      '15m',
    ]);
    times.helmUpgradeS = seconds(start);
    const done = await client.finished(requestId, 600_000);
    rolling = false;
    await poller;
    expect(upgrade.code, upgrade.output).toBe(0);
    // The replaced pods are gone after their grace period; every pod left runs the new images.
    const stale = await until(
      async () => {
        const images = await live().mustKubectl([
          'get',
          'pods',
          '--namespace',
          namespace,
          '--selector',
          `app.kubernetes.io/instance=${release}`,
          '--output',
          'jsonpath={.items[*].spec.containers[*].image}',
        ]);
        const old = images.split(' ').filter((image) => !image.endsWith(`:${tag}`));
        return old.length === 0 ? [] : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    expect(stale).toEqual([]);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(50);
    expect(done).toMatchObject({ status: 'completed', total: count, processed: count, failed: 0 });
  }, 1_500_000);

  it('helm uninstall leaves nothing behind but the storage claim it keeps by design', async () => {
    const uninstall = await live().helm(['uninstall', release, '--namespace', namespace, '--wait', '--timeout', '5m']);
    expect(uninstall.code, uninstall.output).toBe(0);
    const kinds =
      'all,configmaps,secrets,persistentvolumeclaims,serviceaccounts,networkpolicies,poddisruptionbudgets,horizontalpodautoscalers,ingresses,jobs,roles,rolebindings';
    // Pods take their grace period to go; everything else is gone at once.
    const left = await until(
      async () => {
        const output = await live().mustKubectl([
          'get',
          kinds,
          '--namespace',
          namespace,
          '--selector',
          `app.kubernetes.io/instance=${release}`,
          '--output',
          'name',
        ]);
        const names = output.split('\n').filter(Boolean);
        return names.some((name) => name.startsWith('pod/')) ? undefined : names;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    // helm.sh/resource-policy: keep — the uploads and outputs outlive the release (helm/image-processing/README.md).
    expect(left).toEqual([`persistentvolumeclaim/${fullname}-storage`]);
  }, 600_000);
});

/** Jaeger all-in-one as the OTLP collector the chart's `otel.endpoint` names. */
const collector = `
apiVersion: v1
kind: Pod
metadata: { name: jaeger, labels: { app.kubernetes.io/name: jaeger } }
spec:
  automountServiceAccountToken: false
  # The namespace enforces the restricted Pod Security Standard.
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: jaeger
      image: jaegertracing/jaeger:2.12.0
      ports: [{ containerPort: 4318 }, { containerPort: 16686 }]
      readinessProbe: { tcpSocket: { port: 16686 } }
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
---
apiVersion: v1
kind: Service
metadata: { name: jaeger }
spec:
  selector: { app.kubernetes.io/name: jaeger }
  ports: [{ name: otlp-http, port: 4318 }, { name: query, port: 16686 }]
`;

describe('scripts/cluster.sh down', () => {
  it('leaves the host as up found it: sysctls, iptables chains, mounts, links, network namespaces, processes', async () => {
    await cluster?.down();
    cluster = undefined;
    expect(await hostState()).toBe(before);
  }, 600_000);
});
