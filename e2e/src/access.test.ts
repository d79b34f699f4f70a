// API keys through the real stack: the auth service, two gateway replicas in AUTH_MODE=all, and gateways in
// the other modes; keys minted, used, revoked and expired through the public API only.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiKeySchema, CreatedKeySchema, ProblemSchema } from '@ipp/contracts';
import { freePort, type ServiceProcess } from '@ipp/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceName, type Stack, startStack } from './stack.ts';
import { startOtlpReceiver } from './tracing-receiver.ts';

const run = promisify(execFile);
// biome-ignore lint/suspicious/noExplicitAny: the test reads answers field by field and asserts them.
const bodyOf = async (response: Response): Promise<any> => response.json();
const BOOTSTRAP = 'ipp_e2eBootstrapAdminKey0123456789';
/** One of API_KEYS: a static key with every scope, beside the managed ones. */
const STATIC = 'e2e-static-key-0123456789';

describe('API keys through the gateway', () => {
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  /** A second gateway replica, gateways in AUTH_MODE writes and off, and one with API_KEYS alone. */
  const extra: Record<'replica' | 'writes' | 'off' | 'simple', { url: string; process: ServiceProcess }> = {} as never;
  /** Every key seen in this file, so that no log line or span is found carrying one. */
  const secrets: string[] = [BOOTSTRAP, STATIC];

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
    const created = CreatedKeySchema.parse(await response.json());
    secrets.push(created.key);
    return created;
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
    receiver = await startOtlpReceiver();
    stack = await startStack({
      label: 'e2e_access',
      services: ['auth', 'product', 'upload', 'health', 'gateway'],
      env: { AUTH_MODE: 'all', BOOTSTRAP_ADMIN_KEY: BOOTSTRAP, API_KEYS: STATIC, LOG_LEVEL: 'info', ...receiver.env },
    });
    extra.replica = await startGateway({});
    extra.writes = await startGateway({ AUTH_MODE: 'writes' });
    // A local run's default: AUTH_MODE and API_KEYS unset (empty is unset) is off.
    extra.off = await startGateway({ AUTH_MODE: '', API_KEYS: '' });
    // Empty is unset: AUTH_MODE then follows API_KEYS (writes), without the auth service.
    extra.simple = await startGateway({ AUTH_MODE: '' });
    // The stack waits for the first gateway's liveness; its keys arrive with readiness.
    await within(10_000, async () => (await fetch(`${stack.env.GATEWAY_ADMIN_URL}/health/ready`)).ok);
  }, 120_000);
  afterAll(async () => {
    for (const gateway of Object.values(extra)) await gateway.process.stop();
    await stack?.stop();
    await receiver?.close();
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

  it('AUTH_MODE=all: every /api call needs a key, reads too; the API document does not', async () => {
    for (const path of ['/api/products', '/api/uploads', '/api/status/00000000-0000-4000-8000-000000000000']) {
      const refused = await api('GET', path);
      expect([path, refused.status]).toEqual([path, 401]);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
    }
    const unknown = await api('GET', '/api/products', 'ipp_notAKeyAtAllNotAKeyAtAll00');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');
    expect((await api('GET', '/api/openapi.json')).status).toBe(200);
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
    expect(products.headers.get('content-type')).toContain('application/problem+json');
    expect(products.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="products:read"',
    );
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
    // A static key is logged by its fingerprint.
    expect((await api('GET', '/api/products', STATIC)).status).toBe(200);
    await within(5000, async () => /"key_id":"key:[0-9a-f]{16}"/.test(output()));
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

  it('refuses a key once it has expired, on both gateway replicas', async () => {
    const expiresAt = new Date(Date.now() + 4000);
    const created = await mint({ name: 'brief', scopes: ['products:read'], expires_at: expiresAt.toISOString() });
    for (const base of [stack.gatewayUrl, extra.replica.url]) {
      await within(3000, async () => (await call(base, 'GET', '/api/products', created.key)).status === 200);
    }
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    for (const base of [stack.gatewayUrl, extra.replica.url]) {
      const refused = await call(base, 'GET', '/api/products', created.key);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');
      expect((await bodyOf(refused)).detail).toBe(`The API key expired at ${expiresAt.toISOString()}`);
    }
  });

  it('a key printed by npm run keys -- create --scope admin works through the gateway', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await run('npm', ['run', '--silent', 'keys', '--', 'create', '--scope', 'admin'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: stack.databaseUrl },
    });
    const key = stdout.trim();
    expect(key).toMatch(/^ipp_[A-Za-z0-9_-]{32}$/);
    secrets.push(key);
    await within(5000, async () => (await api('GET', '/api/keys', key)).status === 200);
  });

  it('traces carry the key id, never the key; the auth service traces like the others', async () => {
    const traced = async (path: string, key: string, method = 'GET', body?: unknown) => {
      const traceId = randomBytes(16).toString('hex');
      const response = await fetch(`${stack.gatewayUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { response, traceId };
    };
    const created = await mint({ name: 'traced', scopes: ['products:read'] });
    await within(5000, async () => (await api('GET', '/api/products', created.key)).status === 200);
    const read = await traced('/api/products', created.key);
    expect(read.response.status).toBe(200);
    const server = (traceId: string, service: string) =>
      receiver.trace(traceId).find((span) => span.service === service && span.kind === 'server');
    await within(5000, async () => Boolean(server(read.traceId, 'gateway') && server(read.traceId, 'product')));
    expect(server(read.traceId, 'gateway')?.attributes['gateway.key_id']).toBe(created.id);

    const minted = await traced('/api/keys', BOOTSTRAP, 'POST', { name: 'minted traced', scopes: ['admin'] });
    expect(minted.response.status).toBe(201);
    secrets.push((await bodyOf(minted.response)).key);
    await within(5000, async () => Boolean(server(minted.traceId, 'auth')));
    const auth = server(minted.traceId, 'auth');
    expect(auth?.name).toBe('POST /api/keys');
    expect(receiver.trace(minted.traceId).some((span) => span.service === 'auth' && span.kind === 'client')).toBe(true);

    // A refused key is named nowhere either.
    const refused = await traced('/api/products', 'ipp_refusedRefusedRefusedRefused00');
    expect(refused.response.status).toBe(401);
    secrets.push('ipp_refusedRefusedRefusedRefused00');
    await within(5000, async () => Boolean(server(refused.traceId, 'gateway')));
    expect(server(refused.traceId, 'gateway')?.attributes['gateway.key_id']).toBeUndefined();
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

  it('API_KEYS: a static key has every scope beside managed keys; alone, it is the simple mode', async () => {
    // Beside managed keys (AUTH_MODE=all): the keys API (admin) and every client's uploads.
    expect((await api('GET', '/api/keys', STATIC)).status).toBe(200);
    const listed = await api('GET', '/api/uploads', STATIC);
    expect(listed.status).toBe(200);
    expect((await bodyOf(listed)).total).toBeGreaterThan(0);
    // The simple mode: AUTH_MODE unset with API_KEYS is writes, with the static keys only.
    const base = extra.simple.url;
    expect((await call(base, 'GET', '/api/products')).status).toBe(200);
    expect((await call(base, 'POST', '/api/products', undefined, { serial_number: 'S-1', name: 'x' })).status).toBe(
      401,
    );
    expect((await call(base, 'POST', '/api/products', STATIC, { serial_number: 'S-1', name: 'x' })).status).toBe(201);
    expect((await call(base, 'POST', '/api/products', BOOTSTRAP, { serial_number: 'S-2', name: 'x' })).status).toBe(
      401,
    );
    expect(extra.simple.process.output()).toContain('"auth_mode":"writes"');
  });

  it('AUTH_MODE=off, the default: everything open as before, except the keys API; said at start', async () => {
    const base = extra.off.url;
    const created = await call(base, 'POST', '/api/products', undefined, { serial_number: 'O-1', name: 'open' });
    expect(created.status).toBe(201);
    expect((await call(base, 'GET', '/api/products', 'ipp_notAKeyAtAllNotAKeyAtAll00')).status).toBe(200);
    expect((await call(base, 'GET', '/api/keys')).status).toBe(401);
    // Uploads are not kept apart: every key's are listed without one.
    expect((await bodyOf(await call(base, 'GET', '/api/uploads'))).total).toBeGreaterThan(0);
    expect(extra.off.process.output()).toContain('AUTH_MODE=off: every API call is open');
  });

  it('no log line of any process and no span of any service carries a key', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const services: ServiceName[] = ['auth', 'product', 'upload', 'health', 'gateway'];
    const outputs = services.map((name) => stack.process(name)?.output() ?? '');
    outputs.push(...Object.values(extra).map((gateway) => gateway.process.output()));
    const spans = JSON.stringify(receiver.spans);
    expect(receiver.spans.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(
        outputs.some((output) => output.includes(secret)),
        secret,
      ).toBe(false);
      expect(spans.includes(secret), secret).toBe(false);
    }
  });
});
