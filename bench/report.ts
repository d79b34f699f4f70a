// What the load benches share: their run settings from the command line, the machine they ran on, medians.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

/** `--duration 3 --rounds 1` for a quick look; the committed results use the defaults. */
export function runSettings(defaults: { durationS: number; rounds: number; connections: number }) {
  const { values, positionals } = parseArgs({
    options: {
      duration: { type: 'string', default: String(defaults.durationS) },
      rounds: { type: 'string', default: String(defaults.rounds) },
      connections: { type: 'string', default: String(defaults.connections) },
    },
    allowPositionals: true,
  });
  return {
    durationS: Number(values.duration),
    rounds: Number(values.rounds),
    connections: Number(values.connections),
    positionals,
  };
}

export function machine() {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    load_1m_at_end: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  };
}

export function median(values: number[]) {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
