// The single-node cluster of scripts/cluster.sh, and kubectl and helm pointed at it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** The host's address on the pods' bridge (scripts/cluster.sh): what pods reach the host at. */
export const podNetworkGateway = '10.244.0.1';

/** A static file server for `files` (path → bytes) on `address`, at http://<address>:<port>; any query is ignored. */
export async function startHostFileServer(address: string, files: Record<string, Buffer>) {
  const server = createServer((request, response) => {
    const body = files[new URL(request.url ?? '/', 'http://host').pathname.slice(1)];
    if (body === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
