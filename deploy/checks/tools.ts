// Runs the pinned deploy tools (built on first use by scripts/tools/*.sh) and reads what they print.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from './manifest.ts';

export const repository = fileURLToPath(new URL('../..', import.meta.url));
const paths = new Map<string, string>();

/** The path printed by `scripts/tools/<name>.sh`, which builds or fetches the tool when missing. */
export function tool(name: 'helm' | 'kubeconform' | 'kubernetes-schemas' | 'compose-schema' | 'compose-config') {
  const known = paths.get(name);
  if (known !== undefined) return known;
  const path = execFileSync('bash', [`scripts/tools/${name}.sh`], {
    cwd: repository,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  paths.set(name, path);
  return path;
}

export function run(command: string, args: string[], input?: string, env?: Record<string, string>) {
  const result = spawnSync(command, args, {
    cwd: repository,
    encoding: 'utf8',
    input,
    env: env && { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

export type Result = { code: number | null; stdout: string; stderr: string };

/**
 * Runs a command from the repository root without blocking the test's event loop (servers it started keep
 * answering); resolves with its exit code and output, never rejects on failure. SIGTERM after `timeoutMs`.
 */
export function runAsync(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Result> {
  const child = spawn(command, args, { cwd: repository, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed and returns its stdout. */
export function succeed(command: string, args: string[], input?: string) {
  const result = run(command, args, input);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.output}`);
  return result.stdout;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text, { uniqueKeys: true })
    .map((document) => {
      if (document.errors.length > 0) throw document.errors[0];
      return document.toJS() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export const chart = 'helm/image-processing';

export function helmTemplate(options: { valuesFiles?: string[]; set?: string[] } = {}) {
  const args = ['template', 'image-processing', chart, '--namespace', 'image-processing'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const value of options.set ?? []) args.push('--set', value);
  return succeed(tool('helm'), args);
}

export function kustomize(overlay: string) {
  return succeed('kubectl', ['kustomize', overlay]);
}

/** Strict validation (unknown fields, missing required fields, wrong types) against the offline schemas. */
export function kubeconform(text: string) {
  const schemas = `${tool('kubernetes-schemas')}/{{ .ResourceKind }}{{ .KindSuffix }}.json`;
  return run(tool('kubeconform'), ['-strict', '-summary', '-output', 'text', '-schema-location', schemas, '-'], text);
}
