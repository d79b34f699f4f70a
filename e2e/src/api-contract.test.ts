import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContractChecker, type OpenApiDocument } from './openapi-contract.ts';
import { startImageServer, startWebhookReceiver, until } from './servers.ts';
import { type Stack, startStack } from './stack.ts';

// Each client is its own address (the gateway trusts one proxy hop) or API key, so each has its own budget.
const KEYS = { writer: 'contract-writer-key', uploader: 'contract-uploader-key', flooder: 'contract-flood-key' };
const CSV_HEADER = 'Serial Number,Product Name,Input Image Urls';
const UPLOAD_POINTS = 5;
const GENERAL_POINTS = 200;
const UPLOAD_MAX_BYTES = 300_000;

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field and assert them.
type Answer = { status: number; headers: Headers; body: Buffer; json: () => any };

describe('every documented operation through the gateway, checked against the generated document', () => {
  let stack: Stack;
  let checker: ReturnType<typeof createContractChecker>;
  let document: OpenApiDocument;
  /** Every exchange, as kin-openapi's checker (scripts/tools/openapi-check) reads them. */
  const recorded: object[] = [];
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const violations: string[] = [];

  /** One exchange through the gateway as `client`, checked against the document. */
  async function call(client: string, method: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const key = KEYS[client as keyof typeof KEYS];
    const headers = new Headers(init.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    else headers.set('x-forwarded-for', client);
    const response = await exchange(method, `${stack.gatewayUrl}${path}`, headers, init.body);
    const body = response.body;
    const found = checker.check({
      method,
      path: path.split('?', 1)[0] ?? path,
      status: response.status,
      headers: response.headers,
      body,
    });
    violations.push(...found);
    expect(found, `${method} ${path}`).toEqual([]);
    return { status: response.status, headers: response.headers, body, json: () => JSON.parse(body.toString('utf8')) };
  }
  /**
   * node:http rather than fetch: the gateway may answer (413) and close before the body is all sent, and the
   * answer is what the test checks, not the failed write.
   */
  async function exchange(method: string, url: string, headers: Headers, body: RequestInit['body']) {
    const encoded = new Request(url, { method, headers, body: body ?? null });
    const bytes = body ? Buffer.from(await encoded.arrayBuffer()) : undefined;
    return new Promise<{ status: number; headers: Headers; body: Buffer }>((resolve, reject) => {
      const outgoing = Object.fromEntries(encoded.headers);
      if (bytes) outgoing['content-length'] = String(bytes.length);
      const request = httpRequest(url, { method, headers: outgoing }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const received = new Headers();
          for (const [name, value] of Object.entries(response.headers)) received.set(name, String(value));
          const answer = { status: response.statusCode ?? 0, headers: received, body: Buffer.concat(chunks) };
          recorded.push({
            method,
            target: new URL(url).pathname + new URL(url).search,
            request_headers: Object.fromEntries(Object.entries(outgoing).map(([name, value]) => [name, [value]])),
            request_body: bytes?.toString('base64') ?? '',
            status: answer.status,
            response_headers: Object.fromEntries([...received].map(([name, value]) => [name, [value]])),
            response_body: answer.body.toString('base64'),
          });
          resolve(answer);
        });
        response.on('error', reject);
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      request.end(bytes);
    });
  }
  const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const csvUpload = (csv: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) => {
    const form = new FormData();
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    return { body: form, headers };
  };

  beforeAll(async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#a0522d' } })
      .jpeg()
      .toBuffer();
    images = await startImageServer({ '/a.jpg': { body: jpeg, type: 'image/jpeg' } });
    webhooks = await startWebhookReceiver();
    stack = await startStack({
      label: 'e2e_contract',
      services: ['product', 'upload', 'image-worker', 'health', 'gateway'],
      env: {
        API_KEYS: Object.values(KEYS).join(','),
        TRUST_PROXY_HOPS: '1',
        RATE_LIMIT_POINTS: String(GENERAL_POINTS),
        RATE_LIMIT_UPLOAD_POINTS: String(UPLOAD_POINTS),
        UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES),
      },
    });
    document = (await (await fetch(`${stack.gatewayUrl}/api/openapi.json`)).json()) as OpenApiDocument;
    checker = createContractChecker(document);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await images?.close();
    await webhooks?.close();
  });

  it('products: every operation and its error paths', async () => {
    const created = await call('writer', 'POST', '/api/products', json({ serial_number: 'C-1', name: 'Desk' }));
    expect(created.status).toBe(201);
    const id = created.json().id;
    expect((await call('writer', 'POST', '/api/products', json({ serial_number: 'C-2', name: 'Lamp' }))).status).toBe(
      201,
    );
    expect((await call('writer', 'POST', '/api/products', json({ serial_number: 'C-1', name: 'x' }))).status).toBe(409);
    expect((await call('writer', 'POST', '/api/products', json({ name: '' }))).status).toBe(400);
    expect((await call('writer', 'POST', '/api/products', { body: 'name=x' })).status).toBe(415);
    const large = json({ serial_number: 'C-3', name: 'x', description: 'd'.repeat(100_000) });
    expect((await call('writer', 'POST', '/api/products', large)).status).toBe(413);
    expect((await call('10.0.0.1', 'POST', '/api/products', json({ serial_number: 'C-4', name: 'x' }))).status).toBe(
      401,
    );

    expect((await call('10.0.0.1', 'GET', '/api/products?search=desk&per_page=5')).status).toBe(200);
    expect((await call('10.0.0.1', 'GET', '/api/products?per_page=1000')).status).toBe(400);
    expect((await call('10.0.0.1', 'GET', `/api/products/${id}`)).status).toBe(200);
    expect((await call('10.0.0.1', 'GET', '/api/products/abc')).status).toBe(400);
    expect((await call('10.0.0.1', 'GET', '/api/products/999999')).status).toBe(404);

    expect((await call('writer', 'PUT', `/api/products/${id}`, json({ name: 'Oak desk' }))).status).toBe(200);
    expect((await call('writer', 'PUT', `/api/products/${id}`, json({ serial_number: 'C-2' }))).status).toBe(409);
    expect((await call('writer', 'PUT', `/api/products/${id}`, json({}))).status).toBe(400);
    expect((await call('writer', 'PUT', `/api/products/${id}`, { body: 'x' })).status).toBe(415);
    expect((await call('writer', 'PUT', '/api/products/999999', json({ name: 'x' }))).status).toBe(404);
    expect((await call('10.0.0.1', 'PUT', `/api/products/${id}`, json({ name: 'x' }))).status).toBe(401);

    expect((await call('10.0.0.1', 'DELETE', `/api/products/${id}`)).status).toBe(401);
    expect((await call('writer', 'DELETE', '/api/products/abc')).status).toBe(400);
    expect((await call('writer', 'DELETE', `/api/products/${id}`)).status).toBe(204);
    expect((await call('writer', 'DELETE', `/api/products/${id}`)).status).toBe(404);
  });

  it('uploads: a CSV and images from acceptance to the output CSV and files, with every error path', async () => {
    const csv = `${CSV_HEADER}\nU-1,Chair,${images.url}/a.jpg\n`;
    const hook = { webhook_url: `${webhooks.url}/hook` };
    const accepted = await call('uploader', 'POST', '/api/upload', csvUpload(csv, hook, { 'idempotency-key': 'c-1' }));
    expect(accepted.status).toBe(202);
    const requestId: string = accepted.json().request_id;
    const replay = await call('uploader', 'POST', '/api/upload', csvUpload(csv, hook, { 'idempotency-key': 'c-1' }));
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    const other = csvUpload(`${CSV_HEADER}\nU-2,Sofa,${images.url}/a.jpg\n`, {}, { 'idempotency-key': 'c-1' });
    expect((await call('uploader', 'POST', '/api/upload', other)).status).toBe(409);
    expect((await call('uploader', 'POST', '/api/upload', csvUpload('Serial Number\nU-3\n'))).status).toBe(400);
    expect((await call('uploader', 'POST', '/api/upload', json({ file: 'x' }))).status).toBe(415);

    const form = new FormData();
    form.set('serial_number', 'U-4');
    form.set('name', 'Table');
    form.set(
      'images',
      new Blob(
        [
          await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
            .png()
            .toBuffer(),
        ],
        { type: 'image/png' },
      ),
      'a.png',
    );
    const imageUpload = await call('writer', 'POST', '/api/upload', { body: form });
    expect(imageUpload.status).toBe(202);
    const tooLarge = csvUpload(`${CSV_HEADER}\n${'U-5,Big,http://x.test/a.jpg\n'.repeat(UPLOAD_MAX_BYTES / 20)}`);
    expect((await call('writer', 'POST', '/api/upload', tooLarge)).status).toBe(413);
    expect((await call('10.0.0.2', 'POST', '/api/upload', csvUpload(csv))).status).toBe(401);

    for (const path of [`/api/status/${requestId}`, `/api/uploads/${requestId}`]) {
      expect((await call('10.0.0.2', 'GET', path)).status).toBe(200);
    }
    for (const path of [
      '/api/status/nope',
      '/api/uploads/nope',
      '/api/uploads/nope/output.csv',
      '/api/uploads/nope/events',
    ]) {
      expect((await call('10.0.0.2', 'GET', path)).status).toBe(400);
    }
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      `/api/status/${unknown}`,
      `/api/uploads/${unknown}`,
      `/api/uploads/${unknown}/output.csv`,
      `/api/uploads/${unknown}/events`,
    ]) {
      expect((await call('10.0.0.2', 'GET', path)).status).toBe(404);
    }
    expect((await call('10.0.0.2', 'GET', '/api/uploads?page=1&per_page=2')).status).toBe(200);
    expect((await call('10.0.0.2', 'GET', '/api/uploads?page=0')).status).toBe(400);

    const status = async (id: string) => (await call('10.0.0.3', 'GET', `/api/status/${id}`)).json();
    await until(async () => (await status(requestId)).status === 'completed', { timeoutMs: 60_000 });
    const done = await status(requestId);
    expect((await call('10.0.0.2', 'GET', `/api/uploads/${requestId}/output.csv`)).status).toBe(200);
    // A finished request's stream is its one `done` event, then the end.
    const events = await call('10.0.0.2', 'GET', `/api/uploads/${requestId}/events`);
    expect([events.status, events.body.toString('utf8').match(/^event: (\w+)$/gm)]).toEqual([200, ['event: done']]);

    const output = new URL(done.items[0].output_url).pathname;
    const file = await call('10.0.0.2', 'GET', output);
    expect(file.status).toBe(200);
    const etag = file.headers.get('etag') ?? '';
    expect((await call('10.0.0.2', 'GET', output, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await call('10.0.0.2', 'GET', output, { headers: { range: 'bytes=0-9' } })).status).toBe(206);
    expect((await call('10.0.0.2', 'GET', output.replace(/[^/]+$/, 'missing.jpg'))).status).toBe(404);
    const uploaded = (await status(imageUpload.json().request_id)).items[0].input_url;
    expect((await call('10.0.0.2', 'GET', new URL(uploaded).pathname)).status).toBe(200);
    expect((await call('10.0.0.2', 'GET', '/files/uploads/missing.png')).status).toBe(404);

    const imageRequest = imageUpload.json().request_id;
    await until(async () => ['completed', 'failed'].includes((await status(imageRequest)).status), {
      timeoutMs: 60_000,
    });
    expect((await call('10.0.0.2', 'DELETE', `/api/uploads/${imageRequest}`)).status).toBe(401);
    expect((await call('writer', 'DELETE', '/api/uploads/nope')).status).toBe(400);
    expect((await call('writer', 'DELETE', `/api/uploads/${unknown}`)).status).toBe(404);
    expect((await call('writer', 'DELETE', `/api/uploads/${imageRequest}`)).status).toBe(204);
    expect((await call('writer', 'DELETE', `/api/uploads/${imageRequest}`)).status).toBe(404);

    await until(() => webhooks.received.length > 0, { timeoutMs: 30_000 });
    for (const { body } of webhooks.received)
      expect(checker.checkWebhook('upload.completed', JSON.parse(body))).toEqual([]);
  }, 120_000);

  it('answers 409 for the output CSV, and to deleting, a request still processing', async () => {
    // A source that never answers keeps the item processing (until the fetch timeout).
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const source = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/slow.jpg`;
      const accepted = await call('writer', 'POST', '/api/upload', csvUpload(`${CSV_HEADER}\nS-1,Slow,${source}\n`));
      const answer = await call('10.0.0.4', 'GET', `/api/uploads/${accepted.json().request_id}/output.csv`);
      expect(answer.status).toBe(409);
      const deleting = await call('writer', 'DELETE', `/api/uploads/${accepted.json().request_id}`);
      expect(deleting.status).toBe(409);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('health and the gateway’s own pages', async () => {
    for (const path of ['/health', '/health/live', '/health/ready', '/health/detailed']) {
      expect([200, 503]).toContain((await call('10.0.0.5', 'GET', path)).status);
    }
    expect((await call('10.0.0.5', 'GET', '/api/openapi.json')).status).toBe(200);
    expect((await call('10.0.0.5', 'GET', '/api/docs')).status).toBe(200);
    expect((await call('10.0.0.5', 'GET', '/problems/validation-failed')).status).toBe(200);
    expect((await call('10.0.0.5', 'GET', '/problems/no-such-thing')).status).toBe(404);
  });

  it('answers 429 with Retry-After once a client has used its budget, uploads sooner', async () => {
    for (let sent = 0; sent < UPLOAD_POINTS; sent += 1) await call('flooder', 'POST', '/api/upload', csvUpload('x'));
    expect((await call('flooder', 'POST', '/api/upload', csvUpload('x'))).status).toBe(429);
    const flood = (path: string) => fetch(`${stack.gatewayUrl}${path}`, { headers: { 'x-forwarded-for': '10.0.0.6' } });
    for (let sent = 0; sent < GENERAL_POINTS; sent += 1) await (await flood('/api/products')).arrayBuffer();
    for (const path of ['/api/products', '/api/products/1', '/api/uploads', '/files/uploads/x.png', '/api/docs']) {
      expect((await call('10.0.0.6', 'GET', path)).status).toBe(429);
    }
  });

  it('answers a method a documented path does not declare with 405 and Allow', async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/uploads`, { method: 'POST' });
    expect([response.status, response.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('passes a third-party validator, kin-openapi’s openapi3filter, in both directions over the same traffic', async () => {
    expect(recorded.length).toBeGreaterThan(60);
    const run = promisify(execFile);
    const tool = (await run('bash', [new URL('../../scripts/tools/openapi-check.sh', import.meta.url).pathname]))
      .stdout;
    const directory = await mkdtemp(join(tmpdir(), 'openapi-check-'));
    try {
      await writeFile(join(directory, 'openapi.json'), JSON.stringify(document));
      await writeFile(join(directory, 'exchanges.jsonl'), recorded.map((entry) => JSON.stringify(entry)).join('\n'));
      const result = await run(tool.trim(), [join(directory, 'openapi.json'), join(directory, 'exchanges.jsonl')], {
        maxBuffer: 64 * 1024 * 1024,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(result.stdout).toBe('');
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`${recorded.length} exchanges, 0 violations`);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 300_000);

  it('saw every documented operation and no violation', () => {
    const operations = new Set([...checker.covered].map((entry) => entry.split(' ', 1)[0]));
    expect([...operations].sort()).toEqual(
      [
        'listProducts',
        'getProduct',
        'createProduct',
        'updateProduct',
        'deleteProduct',
        'createUpload',
        'deleteUpload',
        'getUploadStatus',
        'getUpload',
        'listUploads',
        'getOutputCsv',
        'getUploadEvents',
        'getUploadedFile',
        'getOutputFile',
        'getHealth',
        'getLiveness',
        'getReadiness',
        'getHealthDetailed',
        'getOpenApiDocument',
        'getApiReference',
        'getProblemType',
      ].sort(),
    );
    expect(violations).toEqual([]);
  });
});
