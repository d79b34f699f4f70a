// The manifests and the chart against a real Kubernetes API server (scripts/cluster.sh: a single node,
// v1.37 built from source, on containerd): every kustomize overlay and every documented chart example
// accepted by a server-side dry run, KEDA's ScaledObject and the HPAs created for real, and the host left as
// the cluster found it (sysctls, iptables chains, mounts, network namespaces, links, processes).
// Run with `npm run test:deploy`; needs root.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, execute, startCluster } from './cluster.ts';
import { byKind } from './manifest.ts';
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

beforeAll(async () => {
  before = await hostState();
  cluster = await startCluster();
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

describe('scripts/cluster.sh down', () => {
  it('leaves the host as up found it: sysctls, iptables chains, mounts, links, network namespaces, processes', async () => {
    await cluster?.down();
    cluster = undefined;
    expect(await hostState()).toBe(before);
  }, 600_000);
});
