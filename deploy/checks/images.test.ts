// Each image's build is simulated without Docker (scripts/tools/simulate-image.ts): its Dockerfile's
// stages run into a clean directory, then the service starts from that tree as `nobody`, with the tree
// mounted read-only, passes the image's own HEALTHCHECK and exits 0 on SIGTERM. That proves the image
// holds everything the service needs and nothing it must not. The five run one after another.
import { spawn } from 'node:child_process';
import { createTestDatabase, createTestVhost, freePort } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployables } from '../../scripts/tools/deployables.ts';
import { repository } from './tools.ts';

type Report = {
  service: string;
  healthy: boolean;
  exitCode: number | string | null;
  buildMs: number;
  startMs: number;
  packages: string[];
  devDependenciesPresent: string[];
  testFilesPresent: string[];
  output: string;
};

const portVariables = ['WEB_PORT', 'GATEWAY_ADMIN_PORT', 'PRODUCT_PORT', 'UPLOAD_PORT', 'HEALTH_PORT', 'WORKER_PORT'];
const reports: Report[] = [];
let environment: Record<string, string> = {};
let cleanups: (() => Promise<unknown>)[] = [];

function simulate(service: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('bash', ['scripts/tools/simulate-image.sh', service], {
      cwd: repository,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  const database = await createTestDatabase('images');
  const vhost = await createTestVhost('images');
  cleanups = [database.drop, vhost.drop];
  environment = {
    // What the image sets, over the test runner's NODE_ENV=test.
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    AMQP_URL: vhost.url,
    WEBHOOK_SECRET: 'whsec_c2ltdWxhdGVkLWltYWdlLXNlY3JldA==',
  };
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  // The measurement: how long each image takes to build (npm cache warm) and to become healthy.
  console.table(reports.map(({ service, buildMs, startMs }) => ({ service, buildMs, startMs })));
});

describe('the simulated image build', () => {
  it.each(Object.entries(deployables))(
    '%s: starts read-only as nobody from its pruned production tree, passes its HEALTHCHECK and stops on SIGTERM',
    async (service, directory) => {
      const ports = Object.fromEntries(
        await Promise.all(portVariables.map(async (name) => [name, String(await freePort())])),
      );
      const result = await simulate(service, { ...environment, ...ports });
      const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
      expect(lastLine.startsWith('{'), result.stderr).toBe(true);
      const report = JSON.parse(lastLine) as Report;
      reports.push(report);
      expect(report.healthy, report.output).toBe(true);
      expect(report.exitCode, report.output).toBe(0);
      expect(result.code).toBe(0);
      expect(report.packages.sort()).toEqual(['.', 'contracts', directory, 'platform'].sort());
      expect(report.devDependenciesPresent).toEqual([]);
      expect(report.testFilesPresent).toEqual([]);
    },
    180_000,
  );
});
