// Every Kubernetes rendering (kustomize overlays, helm chart with default and prod values) is valid
// against the API schemas, strictly and offline, and has the properties the platform relies on.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployables as images, probePorts } from '../../scripts/tools/deployables.ts';
import {
  allContainers,
  byKind,
  type Container,
  type Labels,
  type Manifest,
  matches,
  podLabels,
  podSpec,
  workloadKinds,
} from './manifest.ts';
import { chart, helmTemplate, kubeconform, kustomize, parseManifests } from './tools.ts';

const deployables = Object.keys(images);

type Rendering = {
  render: () => string;
  /** Secrets the rendering expects to exist in the namespace rather than creating them. */
  externalSecrets: string[];
  /** The access mode of the one storage claim; none with storage.driver=s3 (no claim, no volume). */
  storageAccessMode: string | undefined;
  /** KEDA scales the workers instead of an HPA. */
  workerScaledBy: 'HorizontalPodAutoscaler' | 'ScaledObject';
};

const renderings: Record<string, Rendering> = {
  'kustomize dev overlay': {
    render: () => kustomize('k8s/overlays/dev'),
    externalSecrets: [],
    storageAccessMode: 'ReadWriteOnce',
    workerScaledBy: 'HorizontalPodAutoscaler',
  },
  'kustomize prod overlay': {
    render: () => kustomize('k8s/overlays/prod'),
    externalSecrets: ['image-processing-secrets'],
    storageAccessMode: 'ReadWriteMany',
    workerScaledBy: 'HorizontalPodAutoscaler',
  },
  'helm chart with default values': {
    render: () => helmTemplate(),
    externalSecrets: [],
    storageAccessMode: 'ReadWriteMany',
    workerScaledBy: 'HorizontalPodAutoscaler',
  },
  'helm chart with prod values': {
    render: () => helmTemplate({ valuesFiles: [`${chart}/values-prod.yaml`] }),
    externalSecrets: ['image-processing-secrets'],
    storageAccessMode: 'ReadWriteMany',
    workerScaledBy: 'ScaledObject',
  },
  'helm chart with s3 storage': {
    render: () =>
      helmTemplate({
        set: ['storage.driver=s3', 'storage.s3.bucket=images', 'storage.s3.existingSecret=images-keys'],
      }),
    externalSecrets: ['images-keys'],
    storageAccessMode: undefined,
    workerScaledBy: 'HorizontalPodAutoscaler',
  },
};

/** The Deployment of a deployable, whatever prefix the rendering gives its name. */
function deploymentOf(manifests: Manifest[], name: string) {
  const found = byKind(manifests, 'Deployment').find(
    (manifest) => podLabels(manifest)['app.kubernetes.io/name'] === name,
  );
  if (found === undefined) throw new Error(`no Deployment for ${name}`);
  return found;
}

function mainContainer(manifest: Manifest): Container {
  const [container] = podSpec(manifest).containers;
  if (container === undefined) throw new Error(`${manifest.metadata.name} has no container`);
  return container;
}

describe.each(Object.entries(renderings))('%s', (_label, rendering) => {
  let text = '';
  let manifests: Manifest[] = [];
  let workloads: Manifest[] = [];

  beforeAll(() => {
    text = rendering.render();
    manifests = parseManifests(text);
    workloads = manifests.filter((manifest) => workloadKinds.includes(manifest.kind));
  });

  it('is valid against the Kubernetes 1.34 API schemas, with no unknown or duplicate field', () => {
    const result = kubeconform(text);
    expect(result.output).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
    expect(result.status).toBe(0);
  });

  it('has a Deployment, a Service and its own ServiceAccount for each deployable', () => {
    for (const name of deployables) {
      const deployment = deploymentOf(manifests, name);
      const account = podSpec(deployment).serviceAccountName;
      expect(byKind(manifests, 'ServiceAccount').map((manifest) => manifest.metadata.name)).toContain(account);
      const services = byKind(manifests, 'Service').filter((service) =>
        matches((service.spec as { selector: Labels }).selector, podLabels(deployment)),
      );
      expect(services.length, `Service for ${name}`).toBeGreaterThan(0);
    }
  });

  it('runs every container non-root, without privilege escalation, capabilities or a writable root filesystem', () => {
    for (const workload of workloads) {
      for (const container of allContainers(workload)) {
        expect(container.securityContext, `${workload.metadata.name}/${container.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
      }
      expect(podSpec(workload).securityContext, workload.metadata.name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(podSpec(workload).automountServiceAccountToken, workload.metadata.name).toBe(false);
    }
  });

  it('gives every container cpu and memory requests and limits', () => {
    for (const workload of workloads) {
      for (const container of allContainers(workload)) {
        const resources = container.resources ?? {};
        for (const side of [resources.requests, resources.limits]) {
          expect(Object.keys(side ?? {}).sort(), `${workload.metadata.name}/${container.name}`).toEqual([
            'cpu',
            'memory',
          ]);
        }
      }
    }
  });

  it('probes each service for liveness on /health/live and readiness on /health/ready, on its probe port', () => {
    for (const name of deployables) {
      const container = mainContainer(deploymentOf(manifests, name));
      const port = (reference: number | string | undefined) =>
        typeof reference === 'number'
          ? reference
          : container.ports?.find((entry) => entry.name === reference)?.containerPort;
      expect(container.livenessProbe?.httpGet?.path, name).toBe('/health/live');
      expect(container.readinessProbe?.httpGet?.path, name).toBe('/health/ready');
      expect(port(container.livenessProbe?.httpGet?.port), name).toBe(probePorts[name]);
      expect(port(container.readinessProbe?.httpGet?.port), name).toBe(probePorts[name]);
    }
  });

  it('labels every pod with its name and the platform it belongs to', () => {
    for (const workload of workloads) {
      expect(podLabels(workload), workload.metadata.name).toMatchObject({
        'app.kubernetes.io/part-of': 'image-processing',
      });
      expect(podLabels(workload)['app.kubernetes.io/name'], workload.metadata.name).toBeTruthy();
    }
  });

  it('autoscales the gateway, product, upload and image-worker and keeps a disruption budget for each', () => {
    const scaled = (kind: string) =>
      byKind(manifests, kind).map(
        (manifest) => (manifest.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
      );
    for (const name of ['gateway', 'product', 'upload', 'image-worker']) {
      const deployment = deploymentOf(manifests, name);
      const kind = name === 'image-worker' ? rendering.workerScaledBy : 'HorizontalPodAutoscaler';
      expect(scaled(kind), name).toContain(deployment.metadata.name);
      const budgets = byKind(manifests, 'PodDisruptionBudget').filter((budget) =>
        matches((budget.spec as { selector: { matchLabels: Labels } }).selector.matchLabels, podLabels(deployment)),
      );
      expect(budgets.length, `PodDisruptionBudget for ${name}`).toBe(1);
    }
  });

  it('denies all traffic by default and lets each service be called only by its callers', () => {
    type Policy = {
      podSelector: { matchLabels?: Labels };
      policyTypes: string[];
      ingress?: unknown[];
      egress?: unknown[];
    };
    const policies = byKind(manifests, 'NetworkPolicy');
    const denyAll = policies.find((policy) => {
      const spec = policy.spec as Policy;
      const selectsAll = deployables.every((name) =>
        matches(spec.podSelector.matchLabels ?? {}, podLabels(deploymentOf(manifests, name))),
      );
      return selectsAll && spec.ingress === undefined && spec.egress === undefined;
    });
    expect((denyAll?.spec as Policy | undefined)?.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    const product = policies.find((policy) => {
      const spec = policy.spec as Policy;
      return (
        spec.ingress !== undefined &&
        matches(spec.podSelector.matchLabels ?? {}, podLabels(deploymentOf(manifests, 'product')))
      );
    });
    const callers = JSON.stringify((product?.spec as Policy | undefined)?.ingress ?? []);
    expect(callers).toContain('"app.kubernetes.io/name":"gateway"');
    expect(callers).not.toContain('"app.kubernetes.io/name":"image-worker"');
  });

  it('exposes only the gateway, through the Ingress', () => {
    const ingresses = byKind(manifests, 'Ingress');
    expect(ingresses).toHaveLength(1);
    const backends = JSON.stringify(ingresses[0]?.spec).match(/"service":\{"name":"([^"]+)"/g) ?? [];
    expect(backends.length).toBeGreaterThan(0);
    for (const backend of backends) expect(backend).toMatch(/gateway"$/);
    for (const service of byKind(manifests, 'Service')) {
      expect((service.spec as { type?: string }).type ?? 'ClusterIP', service.metadata.name).toBe('ClusterIP');
    }
  });

  it('shares one storage claim: read-write for upload and image-worker, read-only for health, none for the rest (s3: no claim at all)', () => {
    const claims = byKind(manifests, 'PersistentVolumeClaim');
    const storageMount = (name: string) =>
      mainContainer(deploymentOf(manifests, name)).volumeMounts?.find((mount) => mount.mountPath === '/data');
    if (rendering.storageAccessMode === undefined) {
      expect(claims).toEqual([]);
      for (const name of deployables) expect(storageMount(name), name).toBeUndefined();
      return;
    }
    expect(claims).toHaveLength(1);
    expect((claims[0]?.spec as { accessModes?: string[] } | undefined)?.accessModes).toEqual([
      rendering.storageAccessMode,
    ]);
    expect(storageMount('upload')?.readOnly ?? false).toBe(false);
    expect(storageMount('image-worker')?.readOnly ?? false).toBe(false);
    expect(storageMount('health')?.readOnly).toBe(true);
    expect(storageMount('gateway')).toBeUndefined();
    expect(storageMount('product')).toBeUndefined();
  });

  it('refers only to ConfigMaps and Secrets it renders, or to the Secret it documents as external', () => {
    const rendered = new Set(
      manifests
        .filter((manifest) => ['ConfigMap', 'Secret'].includes(manifest.kind))
        .map((manifest) => manifest.metadata.name),
    );
    for (const workload of workloads) {
      for (const container of allContainers(workload)) {
        for (const source of container.envFrom ?? []) {
          const name = source.configMapRef?.name ?? source.secretRef?.name ?? '';
          const known = rendered.has(name) || rendering.externalSecrets.includes(name);
          expect(known, `${workload.metadata.name} refers to ${name}`).toBe(true);
        }
      }
    }
  });
});

describe('the strict schema validation', () => {
  it('rejects a manifest with a misspelt field', () => {
    const manifest = `apiVersion: v1
kind: Service
metadata: { name: typo }
spec:
  selector: { app: typo }
  port: [{ port: 80 }]
`;
    const result = kubeconform(manifest);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("additional properties 'port' not allowed");
  });

  it('accepts the Secret template, which holds no value', () => {
    const template = readFileSync(new URL('../../k8s/base/secret.template.yaml', import.meta.url), 'utf8');
    const [secret] = parseManifests(template);
    expect(Object.keys(secret?.stringData ?? {}).sort()).toEqual([
      'AMQP_URL',
      'API_KEYS',
      'BOOTSTRAP_ADMIN_KEY',
      'DATABASE_URL',
      'WEBHOOK_SECRET',
    ]);
    expect(Object.values(secret?.stringData ?? {}).every((value) => value === '')).toBe(true);
    expect(kubeconform(template).status).toBe(0);
  });
});
