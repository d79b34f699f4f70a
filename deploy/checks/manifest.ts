// The parts of Kubernetes objects the deploy checks read, and where a pod spec sits in each kind.

export type Labels = Record<string, string>;
export type Probe = { httpGet?: { path: string; port: number | string }; exec?: { command: string[] } };
export type Container = {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
export type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
};
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels; annotations?: Record<string, string> };
  // Each kind has its own spec; the checks read it through the narrower types above.
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

export const workloadKinds = ['Deployment', 'StatefulSet', 'Job', 'Pod'];

export function podSpec(manifest: Manifest): PodSpec {
  const spec = manifest.spec as { template?: { spec: PodSpec } } & PodSpec;
  return manifest.kind === 'Pod' ? spec : (spec.template?.spec as PodSpec);
}

export function podLabels(manifest: Manifest): Labels {
  if (manifest.kind === 'Pod') return manifest.metadata.labels ?? {};
  return (manifest.spec as { template: { metadata: { labels: Labels } } }).template.metadata.labels;
}

export function allContainers(manifest: Manifest) {
  const spec = podSpec(manifest);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

export function byKind(manifests: Manifest[], kind: string) {
  return manifests.filter((manifest) => manifest.kind === kind);
}

export function matches(selector: Labels, labels: Labels) {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
