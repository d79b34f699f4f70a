import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAllAlive, processIds } from './alive.ts';
import { send } from './fuzz/exchange.ts';
import { type FuzzDocument, type Operation, operationsOf } from './fuzz/operations.ts';
import { regressions } from './fuzz/regressions.ts';
import { describeRequest, type FuzzContext, type FuzzRequest, requestFor } from './fuzz/requests.ts';
import { openStoredState, storedBetween } from './fuzz/stored-state.ts';
import { createContractChecker, type OpenApiDocument } from './openapi-contract.ts';
import { startImageServer, until } from './servers.ts';
import { type ServiceName, type Stack, startStack } from './stack.ts';

// A fixed seed, so every run sends the same requests; API_FUZZ_SEED=<seed> tries others (a failure prints its
// seed, run and request). API_FUZZ_RUNS requests per operation keep the file within about a minute here.
const SEED = Number(process.env.API_FUZZ_SEED ?? 20_261_203);
const RUNS = Number(process.env.API_FUZZ_RUNS ?? 25);
const SERVICES: ServiceName[] = ['auth', 'product', 'upload', 'image-worker', 'health', 'gateway'];
// Every /api call needs a key (AUTH_MODE=all), uploads belong to keys: the static key (every scope, every
// upload) drives most requests; managed keys, an admin and a member, and invented ones the rest.
const API_KEY = 'fuzz-key';
const ADMIN_KEY = 'ipp_fuzzBootstrapAdminKey0123456789';
const CSV_HEADER = 'Serial Number,Product Name,Input Image Urls';

describe(`every documented operation, driven through the gateway with generated input (seed ${SEED})`, () => {
  let stack: Stack;
  let pids: Record<string, number | undefined>;
  let operations: Operation[];
  let checker: ReturnType<typeof createContractChecker>;
  let context: FuzzContext;
  let stored: Awaited<ReturnType<typeof openStoredState>>;
  let images: Awaited<ReturnType<typeof startImageServer>>;
  const fuzzed = new Set<string>();

  const call = (method: string, target: string, headers: [string, string][] = [], body?: Buffer) =>
    send(stack.gatewayUrl, { method, target, headers: [['authorization', `Bearer ${API_KEY}`], ...headers], body });

  const memberRequest = (key: string) => ({
    method: 'GET',
    target: '/api/uploads',
    headers: [['authorization', `Bearer ${key}`]] as [string, string][],
  });

  /** Products, a finished upload with its output files, and an uploaded image: things that exist to be named. */
  async function createFixtures(imageUrl: string, png: Buffer) {
    const json: [string, string][] = [['content-type', 'application/json']];
    const ids: string[] = [];
    for (const serial of ['F-1', 'F-2', 'F-3']) {
      const created = await call(
        'POST',
        '/api/products',
        json,
        Buffer.from(JSON.stringify({ serial_number: serial, name: serial })),
      );
      ids.push(String(JSON.parse(created.body.toString()).id));
    }
    const csv = new FormData();
    csv.set('file', new Blob([`${CSV_HEADER}\nF-1,F-1,${imageUrl}\n`], { type: 'text/csv' }), 'products.csv');
    const form = new FormData();
    form.set('serial_number', 'F-2');
    form.set('name', 'F-2');
    form.set('images', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
    const requestIds: string[] = [];
    for (const body of [csv, form]) {
      const encoded = new Request('http://x', { method: 'POST', body });
      const accepted = await call(
        'POST',
        '/api/upload',
        [['content-type', encoded.headers.get('content-type') as string]],
        Buffer.from(await encoded.arrayBuffer()),
      );
      requestIds.push(JSON.parse(accepted.body.toString()).request_id);
    }
    const names: string[] = [];
    for (const requestId of requestIds) {
      const done = await until(
        async () => {
          const status = JSON.parse((await call('GET', `/api/status/${requestId}`)).body.toString());
          return status.status === 'completed' && status;
        },
        { timeoutMs: 60_000 },
      );
      for (const item of done.items) {
        for (const url of [item.input_url, item.output_url, item.thumbnail_url]) {
          if (url?.includes('/files/')) names.push(String(url.split('/').at(-1)));
        }
      }
    }
    return { id: ids, request_id: requestIds, name: names };
  }

  beforeAll(async () => {
    const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#a0522d' } })
      .jpeg()
      .toBuffer();
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    images = await startImageServer({
      '/a.jpg': { body: jpeg, type: 'image/jpeg' },
      '/b.png': { body: png, type: 'image/png' },
    });
    stack = await startStack({
      label: 'e2e_fuzz',
      services: SERVICES,
      // Small limits, so that "huge" is over them without sending megabytes.
      env: {
        AUTH_MODE: 'all',
        API_KEYS: API_KEY,
        BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
        UPLOAD_MAX_BYTES: '200000',
        CSV_MAX_ROWS: '20',
        FETCH_TIMEOUT_MS: '3000',
      },
    });
    pids = processIds(stack, SERVICES);
    // The stack waits for the gateway's liveness; its managed keys arrive with readiness.
    await until(async () => (await fetch(`${stack.env.GATEWAY_ADMIN_URL}/health/ready`)).ok);
    const scopes = ['products:read', 'products:write', 'uploads:read', 'uploads:write'];
    const minted = await call(
      'POST',
      '/api/keys',
      [['content-type', 'application/json']],
      Buffer.from(JSON.stringify({ name: 'fuzz member', scopes })),
    );
    const member = JSON.parse(minted.body.toString()) as { key: string; prefix: string };
    await until(async () => (await send(stack.gatewayUrl, memberRequest(member.key))).status === 200);
    const document = (await (await fetch(`${stack.gatewayUrl}/api/openapi.json`)).json()) as FuzzDocument;
    operations = operationsOf(document);
    checker = createContractChecker(document as OpenApiDocument);
    stored = await openStoredState({ databaseUrl: stack.databaseUrl, storageDir: stack.storageDir });
    context = {
      components: document.components ?? {},
      known: await createFixtures(`${images.url}/a.jpg`, png),
      authorization: `Bearer ${API_KEY}`,
      otherAuthorizations: [`Bearer ${ADMIN_KEY}`, `Bearer ${member.key}`],
      knownKeyPrefix: member.prefix,
      imageUrls: [`${images.url}/a.jpg`, `${images.url}/b.png`, `${images.url}/missing.jpg`],
      images: [jpeg, png],
    };
  }, 180_000);
  afterAll(async () => {
    await stored?.close();
    await stack?.stop();
    await images?.close();
  });

  /** The answer to one generated request: documented, never a 5xx, and nothing stored when refused. */
  async function expectDocumentedAnswer(fuzz: FuzzRequest) {
    const before = await stored.snapshot();
    const answer = await send(stack.gatewayUrl, fuzz);
    const path = fuzz.target.split('?', 1)[0] ?? fuzz.target;
    const where = `${describeRequest(fuzz)}\n→ ${answer.status} ${answer.body.toString().slice(0, 300)}`;
    expect(answer.status, where).toBeLessThan(500);
    const exchange = { method: fuzz.method, path, status: answer.status, headers: answer.headers, body: answer.body };
    expect(checker.check(exchange), where).toEqual([]);
    if (answer.status >= 400) expect(storedBetween(before, await stored.snapshot()), where).toEqual([]);
  }

  it('answers every generated request with a documented 2xx, 3xx or 4xx, and stores nothing for a refused one', async () => {
    for (const [index, operation] of operations.entries()) {
      fuzzed.add(operation.operationId);
      const seed = SEED + index;
      const outcome = await fc.check(
        fc.asyncProperty(requestFor(operation, context), (fuzz) => expectDocumentedAnswer(fuzz)),
        { seed, numRuns: RUNS, endOnFailure: true },
      );
      // fast-check's own report prints the whole request, megabytes when it is a huge one.
      if (outcome.failed) {
        throw new Error(
          `${operation.operationId} failed (seed ${seed}, run ${outcome.numRuns}): ${String(outcome.errorInstance).slice(0, 4000)}`,
        );
      }
    }
    // The document's own operations: whatever another change adds is fuzzed here without a word about it.
    expect([...fuzzed].sort()).toEqual(operations.map((operation) => operation.operationId).sort());
  }, 600_000);

  it('answers the requests that once failed as documented, storing nothing for a refused one', async () => {
    for (const fuzz of regressions(context)) await expectDocumentedAnswer(fuzz);
  });

  it('kept every service up: the same processes, live, their last-resort guard never reached', async () => {
    await expectAllAlive(stack, pids);
  });

  it('left no half-written file behind once the accepted work is done', async () => {
    const empty = async () => (await stored.staged()).length === 0;
    await until(empty, { timeoutMs: 30_000 }).catch(async () => expect(await stored.staged()).toEqual([]));
  });
});
