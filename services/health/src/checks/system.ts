import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { type CheckResult, elapsedMs, errorMessage } from './timed.ts';

export type SystemCheck = CheckResult & {
  cpu: { cores: number; load_1m: number; percent: number };
  memory: { total_bytes: number; used_bytes: number; percent: number };
  disk: { path: string; total_bytes: number; used_bytes: number; percent: number };
};

const round = (value: number) => Math.round(value * 10) / 10;

function cpuTimes() {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq + cpu.times.idle;
  }
  return { idle, total };
}

/**
 * CPU busy percent over the interval since the previous check (since boot on the first), memory from
 * the OS (free = available), disk usage of the storage volume as `df` counts it.
 */
export function createSystemCheck(options: { storageDir: string; diskThresholdPercent: number }) {
  let previous = cpuTimes();

  function cpu() {
    const current = cpuTimes();
    const total = current.total - previous.total;
    const idle = current.idle - previous.idle;
    previous = current;
    return {
      cores: os.availableParallelism(),
      load_1m: round(os.loadavg()[0] ?? 0),
      percent: total > 0 ? round(((total - idle) / total) * 100) : 0,
    };
  }

  function memory() {
    const total = os.totalmem();
    const used = total - os.freemem();
    return { total_bytes: total, used_bytes: used, percent: round((used / total) * 100) };
  }

  return async function check(): Promise<SystemCheck> {
    const started = performance.now();
    const path = options.storageDir;
    try {
      const stats = await statfs(path);
      const used = (stats.blocks - stats.bfree) * stats.bsize;
      const available = stats.bavail * stats.bsize;
      const percent = used + available > 0 ? round((used / (used + available)) * 100) : 0;
      const disk = { path, total_bytes: stats.blocks * stats.bsize, used_bytes: used, percent };
      const full = percent > options.diskThresholdPercent;
      return {
        status: full ? 'degraded' : 'ok',
        latency_ms: elapsedMs(started),
        ...(full && { error: `disk ${percent}% used, above ${options.diskThresholdPercent}%` }),
        cpu: cpu(),
        memory: memory(),
        disk,
      };
    } catch (error) {
      return {
        status: 'degraded',
        latency_ms: elapsedMs(started),
        error: `storage ${path}: ${errorMessage(error)}`,
        cpu: cpu(),
        memory: memory(),
        disk: { path, total_bytes: 0, used_bytes: 0, percent: 0 },
      };
    }
  };
}
