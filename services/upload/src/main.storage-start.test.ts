import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestS3, type TestS3Server } from '@ipp/platform/storage/testing';
import { createTestDatabase, freePort, type ServiceProcess, startService, until } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The S3 settings an operator gets wrong at start: the service must say which one in a single log line, stay up
// with readiness 503 (no crash loop), and become ready by itself once storage answers.
describe('upload service started against S3 storage it cannot use', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let s3: TestS3Server;
  const services: ServiceProcess[] = [];
  beforeAll(async () => {
    [database, s3] = await Promise.all([
      createTestDatabase('upload_storage_start'),
      startTestS3('upload-storage-start'),
    ]);
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await s3?.close();
    await database?.drop();
  });

  async function start(env: Record<string, string>) {
    const port = await freePort();
    const service = await startService({
      entry: new URL('./main.ts', import.meta.url),
      // Live, not ready: that is the point.
      readyUrl: `http://127.0.0.1:${port}/health/live`,
      env: {
        UPLOAD_PORT: String(port),
        DATABASE_URL: database.url,
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
        STORAGE_DRIVER: 's3',
        ...s3.env,
        ...env,
      },
    });
    services.push(service);
    const ready = () => fetch(`http://127.0.0.1:${port}/health/ready`);
    const storageLines = async () => {
      await until(() => service.output().includes('storage unavailable'), { timeoutMs: 15_000 });
      return service
        .output()
        .split('\n')
        .filter((line) => line.includes('storage unavailable'));
    };
    return { service, ready, storageLines };
  }

  it('names S3_BUCKET for a bucket that does not exist, and is ready once it does, without a restart', async () => {
    const bucket = `late-${crypto.randomUUID().slice(0, 8)}`;
    const { service, ready, storageLines } = await start({ S3_BUCKET: bucket });
    const lines = await storageLines();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}').message).toMatch(
      new RegExp(`^storage unavailable: S3_BUCKET: the bucket "${bucket}"`),
    );
    const answer = await ready();
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ checks: { database: { status: 'ok' }, storage: { status: 'down' } } });

    const client = new S3Client({ ...s3.options, credentials: s3.options.credentials });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    await until(async () => (await ready()).status === 200, { timeoutMs: 15_000 });
    expect(service.child.exitCode).toBeNull();
    expect(await service.stop()).toBe(0);
  });

  it('names the credentials when the server refuses them, and stays up not ready', async () => {
    const { service, ready, storageLines } = await start({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    const lines = await storageLines();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}').message).toMatch(
      /^storage unavailable: AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY: /,
    );
    expect((await ready()).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(service.child.exitCode).toBeNull();
    expect(await service.stop()).toBe(0);
  });
});
