import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, type ServiceProcess, startService } from './testing/index.ts';

const lastLine = (output: string) => JSON.parse(output.trimEnd().split('\n').at(-1) ?? '{}');
const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('a service stopped with SIGTERM', () => {
  let service: ServiceProcess | undefined;
  afterEach(() => service?.stop('SIGKILL'));

  it('exits 0 with "stopped" as the last line of its output, on the default unbuffered destination', async () => {
    const port = await freePort();
    service = await startService({
      entry: entry('../../services/health/src/main.ts'),
      env: { HEALTH_PORT: String(port), LOG_LEVEL: 'info', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' },
      readyUrl: `http://127.0.0.1:${port}/health/live`,
    });
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(lastLine(service.output())).toMatchObject({ service: 'health', level: 'info', message: 'stopped' });
  });

  it('exits 0 with "stopped" as the last line of its output, on a destination that buffers 4 KiB', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    service = await startService({
      entry: entry('../../gateway/src/main.ts'),
      env: { WEB_PORT: String(port), GATEWAY_ADMIN_PORT: String(adminPort), LOG_LEVEL: 'info' },
      readyUrl: `http://127.0.0.1:${adminPort}/health/ready`,
    });
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(lastLine(service.output())).toMatchObject({ service: 'gateway', level: 'info', message: 'stopped' });
  });
});
