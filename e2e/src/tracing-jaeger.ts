// A real Jaeger (built by scripts/tools/jaeger.sh) on free loopback ports with in-memory storage: OTLP/HTTP
// in, the query API out.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@ipp/platform/testing';
import { until } from './servers.ts';

const run = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/tools/jaeger.sh', import.meta.url));

const CONFIG = `
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memory
    http:
      endpoint: 127.0.0.1:\${env:JAEGER_QUERY_PORT}
    grpc:
      endpoint: 127.0.0.1:\${env:JAEGER_QUERY_GRPC_PORT}
  jaeger_storage:
    backends:
      memory:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:\${env:JAEGER_OTLP_PORT}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memory
`;

export type JaegerTrace = {
  traceID: string;
  spans: {
    spanID: string;
    operationName: string;
    processID: string;
    references: { refType: string; spanID: string }[];
  }[];
  processes: Record<string, { serviceName: string }>;
};

export async function startJaeger() {
  // Prints the cached binary at once; CI (.ci/run) builds it before the tests.
  const { stdout } = await run('bash', [BUILD_SCRIPT], { timeout: 60_000 });
  const binary = stdout.trim();
  const directory = await mkdtemp(join(tmpdir(), 'ipp-jaeger-'));
  await writeFile(join(directory, 'config.yaml'), CONFIG);
  const [otlp, query, grpc] = [await freePort(), await freePort(), await freePort()];
  let output = '';
  const child: ChildProcess = spawn(binary, [`--config=file:${join(directory, 'config.yaml')}`], {
    env: {
      ...process.env,
      JAEGER_OTLP_PORT: String(otlp),
      JAEGER_QUERY_PORT: String(query),
      JAEGER_QUERY_GRPC_PORT: String(grpc),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const queryUrl = `http://127.0.0.1:${query}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await until(
      () =>
        fetch(`${queryUrl}/api/services`).then(
          (response) => response.ok,
          () => child.exitCode !== null,
        ),
      {
        timeoutMs: 20_000,
      },
    );
    if (child.exitCode !== null) throw new Error(`jaeger exited with ${child.exitCode}:\n${output}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    /** For benchmarks that report the collector's own CPU. */
    pid: child.pid as number,
    otlpEndpoint: `http://127.0.0.1:${otlp}`,
    queryUrl,
    /** The trace as Jaeger's query API returns it, or undefined while Jaeger does not know it. */
    async trace(traceId: string): Promise<JaegerTrace | undefined> {
      const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
      if (!response.ok) return undefined;
      return ((await response.json()) as { data: JaegerTrace[] }).data[0];
    },
    stop,
  };
}
