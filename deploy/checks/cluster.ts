// The single-node cluster of scripts/cluster.sh, and kubectl and helm pointed at it.
import { spawn } from 'node:child_process';
import { repository, tool } from './tools.ts';

export type Result = { code: number | null; stdout: string; stderr: string; output: string };

/** Runs a command from the repository root; resolves with its exit code and output, never rejects on failure. */
export function execute(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const child = spawn(command, args, {
    cwd: repository,
    env: options.env ?? process.env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  return new Promise<Result>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, output: stdout + stderr }));
  });
}

async function must(command: string, args: string[], options?: Parameters<typeof execute>[2]) {
  const result = await execute(command, args, options);
  if (result.code !== 0) {
    const shown = [command.split('/').pop(), ...args].join(' ');
    throw new Error(`${shown} failed (${result.code}):\n${result.output.slice(-6000)}`);
  }
  return result.stdout;
}

/** `scripts/cluster.sh up`; the cluster's kubectl and helm, and `load` and `down`. */
export async function startCluster() {
  const script = (args: string[]) => must('bash', ['scripts/cluster.sh', ...args]);
  const kubeconfig = await script(['up']).then(
    (printed) => printed.trim(),
    async (error: unknown) => {
      // A half-started cluster is still taken down: the host is left as it was found.
      await execute('bash', ['scripts/cluster.sh', 'down']);
      throw error;
    },
  );
  const binaries = (await must('bash', ['scripts/tools/kubernetes.sh'])).trim();
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const kubectl = (args: string[], input?: string) => execute(`${binaries}/kubectl`, args, { env, input });
  const helm = (args: string[]) => execute(tool('helm'), args, { env });
  return {
    kubeconfig,
    kubectl,
    helm,
    /** kubectl that must succeed; returns its stdout. */
    mustKubectl: (args: string[], input?: string) => must(`${binaries}/kubectl`, args, { env, input }),
    mustHelm: (args: string[]) => must(tool('helm'), args, { env }),
    /** Copies images from podman's store into the node. */
    load: (images: string[]) => script(['load', ...images]),
    down: () => script(['down']),
  };
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;
