import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const start = fileURLToPath(new URL('./start.mjs', import.meta.url));
const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, [start], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });

describe('npm start', () => {
  it('stops at once naming the PostgreSQL URL and how to start it when the database cannot be reached', () => {
    const result = run({ DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/image_processing' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Cannot reach PostgreSQL at postgres://postgres:***@127.0.0.1:1/image_processing');
    expect(result.stderr).toContain('pg_ctlcluster');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('stops at once naming the RabbitMQ URL when the broker cannot be reached', () => {
    const result = run({ AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Cannot reach RabbitMQ at amqp://guest:***@127.0.0.1:1');
    expect(result.stderr).toContain('rabbitmq-server');
  });
});
