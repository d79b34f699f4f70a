import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { installProcessGuard, UNEXPECTED_ERRORS_METRIC } from './process-guard.ts';

function guarded() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()));
      callback();
    },
  });
  const registry = new Registry();
  const target = new EventEmitter();
  const exits: number[] = [];
  installProcessGuard({
    logger: createLogger({ service: 'guard-test', destination }),
    registry,
    target,
    exit: (code) => exits.push(code),
  });
  const count = async (kind: string) =>
    (await registry.getSingleMetric(UNEXPECTED_ERRORS_METRIC)?.get())?.values.find(
      (value) => value.labels.kind === kind,
    )?.value;
  return { lines, target, exits, count };
}

describe('process guard', () => {
  it('counts nothing and exits nothing until an error goes unhandled', async () => {
    const guard = guarded();
    expect(await guard.count('uncaught_exception')).toBe(0);
    expect(await guard.count('unhandled_rejection')).toBe(0);
    expect(guard.exits).toEqual([]);
  });

  it('logs an uncaught exception as fatal, counts it and exits 1', async () => {
    const guard = guarded();
    guard.target.emit('uncaughtException', new Error('boom'));
    expect(await guard.count('uncaught_exception')).toBe(1);
    expect(guard.exits).toEqual([1]);
    expect(guard.lines).toEqual([
      expect.objectContaining({
        level: 'fatal',
        kind: 'uncaught_exception',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });

  it('logs an unhandled rejection, counts it and exits 1, as Node would', async () => {
    const guard = guarded();
    guard.target.emit('unhandledRejection', new Error('lost'), Promise.resolve());
    expect(await guard.count('unhandled_rejection')).toBe(1);
    expect(await guard.count('uncaught_exception')).toBe(0);
    expect(guard.exits).toEqual([1]);
    expect(guard.lines[0]).toMatchObject({ level: 'fatal', kind: 'unhandled_rejection', err: { message: 'lost' } });
  });

  it('makes a real process write its fatal line and exit 1, with a server still listening', async () => {
    const script = `
      import { createServer } from 'node:http';
      import { Registry } from 'prom-client';
      import { createLogger } from '@ipp/platform';
      import { installProcessGuard } from '@ipp/platform/process-guard';
      installProcessGuard({ logger: createLogger({ service: 'guard-child' }), registry: new Registry() });
      createServer().listen(0, '127.0.0.1', () => setTimeout(() => { throw new Error('nobody caught this'); }, 10));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const line = JSON.parse(output.trim().split('\n').at(-1) as string);
    expect(line).toMatchObject({ level: 'fatal', kind: 'uncaught_exception', err: { message: 'nobody caught this' } });
  });
});
