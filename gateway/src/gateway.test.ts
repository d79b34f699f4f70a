import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDocs } from './docs.ts';
import { echo, send, startGateway, startUpstream } from './testing/gateway.ts';

describe('the public gateway', () => {
  const internalHits: string[] = [];
  const upstreams = {
    product: startUpstream((req, res) => {
      if (req.url?.includes('internal')) internalHits.push(req.url);
      echo('product')(req, res);
    }),
    upload: startUpstream(echo('upload')),
    health: startUpstream(echo('health')),
  };
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    gateway = await startGateway({
      upstreams: {
        product: (await upstreams.product).url,
        upload: (await upstreams.upload).url,
        health: (await upstreams.health).url,
      },
      docs: await renderDocs('1.2.3'),
      apiKeys: ['secret-key-1'],
      uploadsOwned: true,
      corsOrigins: ['https://app.example'],
    });
  });
  afterAll(async () => {
    await gateway.close();
    for (const upstream of Object.values(upstreams)) await (await upstream).close();
  });

  it.each([
    ['/api/products?page=1', 'product'],
    ['/api/products/42', 'product'],
    ['/api/uploads?page=2', 'upload'],
    ['/api/uploads/abc/output.csv', 'upload'],
    ['/api/status/abc', 'upload'],
    ['/files/outputs/a.jpg', 'upload'],
    ['/health', 'health'],
    ['/health/detailed', 'health'],
  ])('routes GET %s to the %s service', async (path, upstream) => {
    const reply = await send(gateway.port, path);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ upstream, url: path });
  });

  it.each([
    ['/internal/images', 404],
    ['/api/../internal/images', 400],
    ['/api/products/../../internal/images', 400],
    ['/api/products/%2e%2e/%2e%2e/internal/images', 400],
    ['/api/products%2F..%2F..%2Finternal', 400],
    ['//internal/images', 400],
    ['/api/products/..%5c..%5cinternal', 400],
  ])('never forwards %s (answers %i problem+json)', async (path, status) => {
    const reply = await send(gateway.port, path);
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(reply.body)).toMatchObject({ status, request_id: reply.headers['x-request-id'] });
    expect(internalHits).toEqual([]);
  });

  it('answers unknown routes with 404 problem+json naming the path', async () => {
    const reply = await send(gateway.port, '/nope?x=1');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ type: '/problems/not-found', detail: 'No route for GET /nope' });
  });

  it('serves the OpenAPI document and the reference page itself', async () => {
    const document = await send(gateway.port, '/api/openapi.json');
    expect(document.status).toBe(200);
    expect(JSON.parse(document.body)).toMatchObject({ openapi: '3.1.0', info: { version: '1.2.3' } });
    expect(JSON.parse(document.body).paths['/api/products']).toBeDefined();
    const page = await send(gateway.port, '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('/api/docs/scalar.js');
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.headers['content-security-policy']).toContain("script-src 'self';");
    const bundle = await send(gateway.port, '/api/docs/scalar.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/^text\/javascript/);
    expect(bundle.body).toContain('@scalar/api-reference@1.76.0');
    expect(bundle.body).not.toContain('fonts.scalar.com');
    expect((await send(gateway.port, '/api/docs/reference.js')).body).toContain("url: '/api/openapi.json'");
  });

  it('answers 405 with Allow to a method a documented path does not accept, before asking for a key', async () => {
    const reply = await send(gateway.port, '/api/products/42', { method: 'POST', body: '{}' });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD, PUT, DELETE');
    expect(JSON.parse(reply.body)).toMatchObject({ type: '/problems/method-not-allowed', status: 405 });
    const docs = await send(gateway.port, '/api/openapi.json', { method: 'DELETE' });
    expect([docs.status, docs.headers.allow]).toEqual([405, 'GET, HEAD']);
    const upload = await send(gateway.port, '/api/upload', { headers: { authorization: 'Bearer secret-key-1' } });
    expect([upload.status, upload.headers.allow]).toEqual([405, 'POST']);
  });

  it('serves a page explaining each problem type, and 404 for an unknown one', async () => {
    const notFound = await send(gateway.port, '/nope');
    const page = await send(gateway.port, JSON.parse(notFound.body).type);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('404 Not found');
    expect((await send(gateway.port, '/problems/no-such-problem')).status).toBe(404);
  });

  it('requires a valid API key for writes, not for reads', async () => {
    const anonymous = await send(gateway.port, '/api/products', { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(JSON.parse(anonymous.body).title).toBe('Unauthorized');
    const wrong = await send(gateway.port, '/api/upload', {
      method: 'POST',
      headers: { authorization: 'Bearer secret-key-2' },
    });
    expect(wrong.status).toBe(401);
    const keyed = await send(gateway.port, '/api/products/1', {
      method: 'DELETE',
      headers: { authorization: 'Bearer secret-key-1' },
    });
    expect(keyed.status).toBe(200);
    expect(JSON.parse(keyed.body).headers.authorization).toBe('Bearer secret-key-1');
    expect((await send(gateway.port, '/api/products')).status).toBe(200);
  });

  it('logs one line per request with its fields, never the key or cookies', async () => {
    await send(gateway.port, '/api/products/9?search=a', {
      method: 'PUT',
      headers: { authorization: 'Bearer secret-key-1', cookie: 'session=cookie-value', 'x-request-id': 'log-test-1' },
      body: 'hello',
    });
    await expect.poll(() => gateway.lines.some((candidate) => candidate.request_id === 'log-test-1')).toBe(true);
    const entry = gateway.lines.find((candidate) => candidate.request_id === 'log-test-1');
    expect(entry).toMatchObject({
      service: 'gateway',
      method: 'PUT',
      route: '/api/products/*',
      path: '/api/products/9',
      status: 200,
      bytes_in: 5,
      client: '127.0.0.1',
      upstream: 'product',
      key_id: expect.stringMatching(/^key:[0-9a-f]{16}$/),
    });
    expect(entry?.duration_ms).toEqual(expect.any(Number));
    expect(entry?.bytes_out).toBeGreaterThan(100);
    const everything = JSON.stringify(gateway.lines);
    expect(everything).not.toContain('secret-key-1');
    expect(everything).not.toContain('cookie-value');
  });

  it('answers CORS preflights for listed origins only', async () => {
    const headers = { origin: 'https://app.example', 'access-control-request-method': 'POST' };
    const preflight = await send(gateway.port, '/api/products', { method: 'OPTIONS', headers });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example' });
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    const simple = await send(gateway.port, '/api/products', { headers: { origin: 'https://app.example' } });
    expect(simple.headers['access-control-expose-headers']).toContain('x-request-id');
    const stranger = await send(gateway.port, '/api/products', { headers: { origin: 'https://evil.example' } });
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('tells the upload service who the caller is, and never passes on what a client says of itself', async () => {
    const forged = { 'x-ipp-key-id': 'someone-else', 'x-ipp-visibility': 'all' };
    const anonymous = JSON.parse((await send(gateway.port, '/api/uploads', { headers: forged })).body);
    expect(anonymous.headers['x-ipp-visibility']).toBe('own');
    expect(anonymous.headers['x-ipp-key-id']).toBeUndefined();
    const keyed = await send(gateway.port, '/api/uploads', {
      headers: { ...forged, authorization: 'Bearer secret-key-1' },
    });
    // A static key has every scope, `admin` included: it sees every upload.
    expect(JSON.parse(keyed.body).headers).toMatchObject({
      'x-ipp-key-id': expect.stringMatching(/^key:[0-9a-f]{16}$/),
      'x-ipp-visibility': 'all',
    });
    const product = JSON.parse((await send(gateway.port, '/api/products', { headers: forged })).body);
    expect(product.headers['x-ipp-key-id']).toBeUndefined();
    expect(product.headers['x-ipp-visibility']).toBeUndefined();
  });
});

describe('the gateway with AUTH_MODE=all', () => {
  const upstream = startUpstream(echo('any'));
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    const url = (await upstream).url;
    gateway = await startGateway({
      upstreams: { product: url, upload: url, health: url, auth: url },
      apiKeys: ['secret-key-1'],
      authMode: 'all',
    });
  });
  afterAll(async () => {
    await gateway.close();
    await (await upstream).close();
  });

  it('needs a key on every /api call, and on none of /health and /files', async () => {
    for (const path of ['/api/products', '/api/uploads', '/api/status/x', '/api/keys']) {
      const refused = await send(gateway.port, path);
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect((await send(gateway.port, path, { headers: { authorization: 'Bearer secret-key-1' } })).status).toBe(200);
    }
    for (const path of ['/health', '/health/ready', '/files/uploads/a.jpg']) {
      expect((await send(gateway.port, path)).status).toBe(200);
      const badKey = await send(gateway.port, path, { headers: { authorization: 'Bearer wrong' } });
      expect(badKey.status).toBe(200);
    }
  });

  it('refuses an unknown key with 401 problem+json naming the token as invalid', async () => {
    const refused = await send(gateway.port, '/api/products', { headers: { authorization: 'Bearer wrong' } });
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token"');
    expect(JSON.parse(refused.body).detail).toBe('The API key is unknown or revoked');
  });
});
