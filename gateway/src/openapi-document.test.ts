import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publicRoutes } from '@ipp/contracts/routes';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './openapi-document.ts';
import { renderProblemPages } from './problem-pages.ts';

const spectral = createRequire(import.meta.url).resolve('@stoplight/spectral-cli/dist/index.js');
const ruleset = new URL('../../.spectral.yaml', import.meta.url).pathname;

type Operation = { operationId: string; responses: Record<string, { description: string }> };
const document = buildOpenApiDocument({ version: '1.2.3' });
const operations = Object.values(document.paths ?? {}).flatMap(
  (item) => Object.values(item).filter((value) => typeof value === 'object' && 'responses' in value) as Operation[],
);

describe('the generated OpenAPI document', () => {
  it("passes Spectral's spectral:oas ruleset with no error and no warning", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'openapi-'));
    try {
      const file = join(directory, 'openapi.json');
      const results = join(directory, 'results.json');
      await writeFile(file, JSON.stringify(document));
      const lint = ['lint', '--ruleset', ruleset, '--fail-severity', 'hint', '--format', 'json', '--output', results];
      const exit = await promisify(execFile)(process.execPath, [spectral, ...lint, file], { timeout: 60_000 }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
      expect(JSON.parse(await readFile(results, 'utf8'))).toEqual([]);
      expect(exit).toBe(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 90_000);

  it('has every declared operation once, with a unique operationId', () => {
    expect(operations).toHaveLength(publicRoutes.length);
    expect(new Set(operations.map((operation) => operation.operationId)).size).toBe(publicRoutes.length);
  });

  it('documents 429 on every operation but health, and X-Request-Id on every response', () => {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const responses = Object.values(item as Record<string, Operation>)[0]?.responses ?? {};
      expect(responses['429'] !== undefined, path).toBe(!path.startsWith('/health'));
      for (const response of Object.values(responses)) {
        expect((response as { headers?: object }).headers, path).toHaveProperty('X-Request-Id');
      }
    }
  });

  it('names, on every problem response, the page of its type, which the gateway serves', () => {
    const pages = renderProblemPages();
    let checked = 0;
    for (const operation of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!('content' in response) || !JSON.stringify(response.content).includes('problem+json')) continue;
        const page = response.description.match(/`(\/problems\/[a-z-]+)`/)?.[1];
        expect(page && pages[page], `${operation.operationId} ${status}`).toBeTruthy();
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('declares the signed completion webhook', () => {
    expect(document.webhooks?.['upload.completed']?.post?.requestBody).toBeDefined();
  });
});
