// API keys through the real stack: the auth service, two gateway replicas in AUTH_MODE=all, and gateways in
// the other modes; keys minted, used, revoked and expired through the public API only.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiKeySchema, CreatedKeySchema, ProblemSchema } from '@ipp/contracts';
import { freePort, type ServiceProcess } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

const run = promisify(execFile);
// biome-ignore lint/suspicious/noExplicitAny: the test reads answers field by field and asserts them.
const bodyOf = async (response: Response): Promise<any> => response.json();
const BOOTSTRAP = 'ipp_e2eBootstrapAdminKey0123456789';

describe('API keys through the gateway', () => {
  let stack: Stack;
  /** A second gateway replica, and gateways in AUTH_MODE writes and off, on the same services. */
  const extra: Record<'replica' | 'writes' | 'off', { url: string; process: ServiceProcess }> = {} as never;

  const call = (base: string, method: string, path: string, key?: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  const api = (method: string, path: string, key?: string, body?: unknown) =>
    call(stack.gatewayUrl, method, path, key, body);
  const mint = async (body: Record<string, unknown>) => {
    const response = await api('POST', '/api/keys', BOOTSTRAP, body);
    expect(response.status).toBe(201);
    return CreatedKeySchema.parse(await response.json());
  };
  /** Resolves once `check` holds, or fails after `timeoutMs`; returns how long it took. */
  const within = async (timeoutMs: number, check: () => Promise<boolean>) => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Date.now() - started;
  };
  const startGateway = async (env: Record<string, string>) => {
    const [web, admin] = [await freePort(), await freePort()];
    const process = await stack.startExtra(
      'gateway',
      { WEB_PORT: String(web), GATEWAY_ADMIN_PORT: String(admin), ...env },
      `http://127.0.0.1:${admin}/health/ready`,
    );
    return { url: `http://127.0.0.1:${web}`, process };
  };

  beforeAll(async () => {
    stack = await startStack({
      label: 'e2e_access',
      services: ['auth', 'product', 'upload', 'health', 'gateway'],
      env: { AUTH_MODE: 'all', BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, LOG_LEVEL: 'info' },
    });
    extra.replica = await startGateway({});
    extra.writes = await startGateway({ AUTH_MODE: 'writes' });
    extra.off = await startGateway({ AUTH_MODE: 'off' });
    // The stack waits for the first gateway's liveness; its keys arrive with readiness.
    await within(10_000, async () => (await fetch(`${stack.env.GATEWAY_ADMIN_URL}/health/ready`)).ok);
  }, 120_000);
  afterAll(async () => {
    for (const gateway of Object.values(extra)) await gateway.process.stop();
    await stack?.stop();
  });

  it('the bootstrap key administers keys; without a key the keys API is 401, health and files need none', async () => {
    expect((await api('GET', '/api/keys', BOOTSTRAP)).status).toBe(200);
    const anonymous = await api('GET', '/api/keys');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(ProblemSchema.parse(await anonymous.json()).status).toBe(401);
    expect((await api('GET', '/health/live')).status).toBe(200);
    expect((await api('GET', '/files/uploads/missing.jpg')).status).toBe(404);
  });

  it('the health aggregator reports the auth service', async () => {
    const detailed = await bodyOf(await api('GET', '/health/detailed'));
    expect(detailed.checks.services.auth).toMatchObject({ status: 'ok' });
  });

  it('mints a key shown once, uses it within its scopes, and refuses the rest with 403 naming the scope', async () => {
    const created = await mint({ name: 'uploader', scopes: ['uploads:read', 'uploads:write'] });
    const listed = await (await api('GET', '/api/keys?per_page=100', BOOTSTRAP)).text();
    expect(listed).not.toContain(created.key);
    const entry = JSON.parse(listed).items.find((key: { id: string }) => key.id === created.id);
    expect(ApiKeySchema.parse(entry)).toMatchObject({ prefix: created.prefix, revoked_at: null });

    await within(5000, async () => (await api('GET', '/api/uploads', created.key)).status === 200);
    const products = await api('GET', '/api/products', created.key);
    expect(products.status).toBe(403);
    expect(products.headers.get('www-authenticate')).toContain('scope="products:read"');
    expect((await bodyOf(products)).detail).toBe('This operation needs a key with the scope products:read');
    const admin = await api('POST', '/api/keys', created.key, { name: 'escalate', scopes: ['admin'] });
    expect(admin.status).toBe(403);

    const reader = await mint({ name: 'reader', scopes: ['products:read'] });
    await within(5000, async () => (await api('GET', '/api/products', reader.key)).status === 200);
    const write = await api('POST', '/api/products', reader.key, { serial_number: 'K-1', name: 'Refused' });
    expect(write.status).toBe(403);
    expect((await api('GET', '/api/products?search=K-1', BOOTSTRAP)).status).toBe(200);
    expect((await bodyOf(await api('GET', '/api/products?search=K-1', BOOTSTRAP))).total).toBe(0);
  });

  it('records the key id, never the key, in the request log; keeps last use', async () => {
    const created = await mint({ name: 'logged', scopes: ['products:read'] });
    await within(5000, async () => (await api('GET', '/api/products', created.key)).status === 200);
    const output = () => stack.process('gateway')?.output() ?? '';
    await within(5000, async () => output().includes(`"key_id":"${created.id}"`));
    expect(output()).not.toContain(created.key);
    await within(5000, async () => {
      const page = await bodyOf(await api('GET', '/api/keys?per_page=100', BOOTSTRAP));
      return page.items.find((key: { id: string }) => key.id === created.id).last_used_at !== null;
    });
  });

  it('limits each key by its own budget when it carries one', async () => {
    const created = await mint({ name: 'small', scopes: ['products:read'], rate_limit: { points: 2 } });
    await within(5000, async () => (await api('GET', '/api/products', created.key)).status === 200);
    const next = await api('GET', '/api/products', created.key);
    expect(next.headers.get('ratelimit-limit')).toBe('2');
    expect([next.status, (await api('GET', '/api/products', created.key)).status]).toEqual([200, 429]);
    // The bootstrap key keeps the default budget.
    expect((await api('GET', '/api/products', BOOTSTRAP)).headers.get('ratelimit-limit')).toBe('100000');
  });

  it('refuses a revoked key on both gateway replicas within 5 seconds', async () => {
    const created = await mint({ name: 'revoked soon', scopes: ['products:read'] });
    const accepted = (base: string) => async () => (await call(base, 'GET', '/api/products', created.key)).ok;
    await within(5000, accepted(stack.gatewayUrl));
    await within(5000, accepted(extra.replica.url));

    expect((await api('DELETE', `/api/keys/${created.id}`, BOOTSTRAP)).status).toBe(204);
    const refused = (base: string) => async () =>
      (await call(base, 'GET', '/api/products', created.key)).status === 401;
    const [first, second] = await Promise.all([
      within(5000, refused(stack.gatewayUrl)),
      within(5000, refused(extra.replica.url)),
    ]);
    console.info(`revocation reached the replicas in ${first} ms and ${second} ms`);
    const problem = await call(extra.replica.url, 'GET', '/api/products', created.key);
    expect(problem.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');
    expect((await bodyOf(problem)).detail).toBe('The API key is unknown or revoked');
  });

  it('refuses a key once it has expired', async () => {
    const expiresAt = new Date(Date.now() + 3000);
    const created = await mint({ name: 'brief', scopes: ['products:read'], expires_at: expiresAt.toISOString() });
    await within(3000, async () => (await api('GET', '/api/products', created.key)).status === 200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    const refused = await api('GET', '/api/products', created.key);
    expect(refused.status).toBe(401);
    expect((await bodyOf(refused)).detail).toBe(`The API key expired at ${expiresAt.toISOString()}`);
  });

  it('a key printed by npm run keys -- create works through the gateway', async () => {
    const cli = fileURLToPath(new URL('../../services/auth/src/keys-cli.ts', import.meta.url));
    const { stdout } = await run(process.execPath, [cli, 'create', '--scope', 'admin', '--name', 'cli'], {
      env: { ...process.env, DATABASE_URL: stack.databaseUrl },
    });
    const key = stdout.trim();
    await within(5000, async () => (await api('GET', '/api/keys', key)).status === 200);
  });

  it('one key cannot see or delete another key’s upload (404, never 403); admin sees every upload', async () => {
    const [alice, bob] = await Promise.all([
      mint({ name: 'alice', scopes: ['uploads:read', 'uploads:write'] }),
      mint({ name: 'bob', scopes: ['uploads:read', 'uploads:write'] }),
    ]);
    await within(5000, async () => (await api('GET', '/api/uploads', bob.key)).status === 200);
    const form = new FormData();
    const csv = 'Serial Number,Product Name,Input Image Urls\r\nOWN-1,Desk,https://img.test/own.jpg\r\n';
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
    const uploaded = await fetch(`${stack.gatewayUrl}/api/upload`, {
      method: 'POST',
      body: form,
      // A client's own say about who it is never reaches the upload service.
      headers: { authorization: `Bearer ${alice.key}`, 'x-ipp-key-id': bob.id },
    });
    expect(uploaded.status).toBe(202);
    const requestId = (await bodyOf(uploaded)).request_id;
    const ids = async (key: string, extra: Record<string, string> = {}) => {
      const response = await fetch(`${stack.gatewayUrl}/api/uploads?per_page=100`, {
        headers: { authorization: `Bearer ${key}`, ...extra },
      });
      return (await bodyOf(response)).items.map((item: { request_id: string }) => item.request_id);
    };

    expect(await ids(alice.key)).toEqual([requestId]);
    expect(await ids(bob.key)).toEqual([]);
    expect(await ids(bob.key, { 'x-ipp-visibility': 'all' })).toEqual([]);
    expect(await ids(BOOTSTRAP)).toContain(requestId);
    for (const path of [
      `/api/status/${requestId}`,
      `/api/uploads/${requestId}`,
      `/api/uploads/${requestId}/output.csv`,
      `/api/uploads/${requestId}/events`,
    ]) {
      const refused = await api('GET', path, bob.key);
      expect([path, refused.status]).toEqual([path, 404]);
    }
    expect((await api('DELETE', `/api/uploads/${requestId}`, bob.key)).status).toBe(404);
    expect((await api('GET', `/api/status/${requestId}`, alice.key)).status).toBe(200);
    expect((await api('GET', `/api/status/${requestId}`, BOOTSTRAP)).status).toBe(200);
    // The owner reaches it: still processing (no worker here), so 409 where bob got 404.
    expect((await api('DELETE', `/api/uploads/${requestId}`, alice.key)).status).toBe(409);
    // With AUTH_MODE=writes, reads without a key see only uploads made without one.
    expect((await bodyOf(await call(extra.writes.url, 'GET', '/api/uploads'))).items).toEqual([]);
  });

  it('AUTH_MODE=writes: reads open, writes need a key with the scope', async () => {
    const base = extra.writes.url;
    expect((await call(base, 'GET', '/api/products')).status).toBe(200);
    expect((await call(base, 'GET', '/api/uploads')).status).toBe(200);
    const anonymous = await call(base, 'POST', '/api/products', undefined, { serial_number: 'W-1', name: 'x' });
    expect(anonymous.status).toBe(401);
    const keyed = await call(base, 'POST', '/api/products', BOOTSTRAP, { serial_number: 'W-1', name: 'x' });
    expect(keyed.status).toBe(201);
    expect((await call(base, 'GET', '/api/products', 'ipp_notAKeyAtAllNotAKeyAtAll00')).status).toBe(401);
  });

  it('AUTH_MODE=off: everything open as before, except the keys API', async () => {
    const base = extra.off.url;
    const created = await call(base, 'POST', '/api/products', undefined, { serial_number: 'O-1', name: 'open' });
    expect(created.status).toBe(201);
    expect((await call(base, 'GET', '/api/products', 'ipp_notAKeyAtAllNotAKeyAtAll00')).status).toBe(200);
    expect((await call(base, 'GET', '/api/keys')).status).toBe(401);
    expect(extra.off.process.output()).toContain('AUTH_MODE=off: every API call is open');
  });
});
