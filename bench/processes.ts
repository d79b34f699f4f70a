// The benches' processes: started with their output in a file, waited for, and their CPU time read from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');

/** Starts processes whose output goes to `<logs>/<name>.log` (as in production, log lines are really written). */
export function createProcesses(logs: string) {
  const children: ChildProcess[] = [];
  function start(name: string, command: string, args: string[], env: Record<string, string> = {}) {
    const log = openSync(path.join(logs, `${name}.log`), 'a');
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    children.push(child);
    return child;
  }
  return {
    start,
    /** A service entry with the platform's instrumentation preloaded, as every deployable runs. */
    startNode: (name: string, entry: string, env: Record<string, string>) =>
      start(name, process.execPath, ['--import', '@ipp/platform/instrumentation', entry], env),
    /** Resolves once `url` answers 200. */
    async waitFor(url: string, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        try {
          if ((await fetch(url)).ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (logs in ${logs})`);
    },
    stopAll: () => {
      for (const child of children) child.kill('SIGTERM');
    },
  };
}

/** user + system CPU ticks (1/100 s) of the processes, from /proc. */
export function cpuTicks(pids: number[]) {
  return pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return sum + Number(fields[11]) + Number(fields[12]);
  }, 0);
}
