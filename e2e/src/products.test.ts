import { ProblemSchema, ProductListSchema, ProductSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

describe('products through the gateway', () => {
  let stack: Stack;
  const api = (path: string, init?: RequestInit) => fetch(`${stack.gatewayUrl}${path}`, init);
  const post = (body: unknown) =>
    api('/api/products', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    stack = await startStack({ label: 'e2e_products', services: ['product', 'gateway'] });
  }, 60_000);
  afterAll(() => stack?.stop());

  it('creates, reads, searches, updates and deletes a product', async () => {
    const created = await post({ serial_number: 'E2E-100', name: 'Walnut Desk', description: 'solid' });
    expect(created.status).toBe(201);
    const product = ProductSchema.parse(await created.json());
    expect(created.headers.get('location')).toBe(`/api/products/${product.id}`);
    expect(created.headers.get('x-request-id')).toBeTruthy();

    const fetched = await api(`/api/products/${product.id}`);
    expect(ProductSchema.parse(await fetched.json())).toEqual(product);

    const found = ProductListSchema.parse(await (await api('/api/products?search=walnut%20d')).json());
    expect(found.items.map((item) => item.serial_number)).toEqual(['E2E-100']);
    expect(found).toMatchObject({ page: 1, per_page: 10, total: 1, pages: 1 });

    const updated = await api(`/api/products/${product.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Oak Desk' }),
    });
    expect(updated.status).toBe(200);
    expect(ProductSchema.parse(await updated.json()).name).toBe('Oak Desk');

    expect((await api(`/api/products/${product.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/products/${product.id}`)).status).toBe(404);
  });

  it('answers 409 problem+json for a duplicate serial number and changes nothing', async () => {
    expect((await post({ serial_number: 'E2E-DUP', name: 'First' })).status).toBe(201);
    const duplicate = await post({ serial_number: 'E2E-DUP', name: 'Second' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get('content-type')).toContain('application/problem+json');
    const list = ProductListSchema.parse(await (await api('/api/products?search=E2E-DUP')).json());
    expect(list.items.map((item) => item.name)).toEqual(['First']);
  });

  it('answers 400 with every invalid field and creates nothing', async () => {
    const response = await post({ serial_number: '', name: 42, extra: true });
    expect(response.status).toBe(400);
    const problem = ProblemSchema.parse(await response.json());
    const paths = problem.errors?.map((error) => error.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['serial_number', 'name']));
    expect(problem.request_id).toBe(response.headers.get('x-request-id'));
  });

  it('answers 400 for bad paging and treats % and _ in a search literally', async () => {
    expect((await api('/api/products?per_page=101')).status).toBe(400);
    expect((await api('/api/products?page=0')).status).toBe(400);
    await post({ serial_number: 'E2E-PCT', name: '100% cotton' });
    await post({ serial_number: 'E2E-PLAIN', name: '100 cotton' });
    const percent = ProductListSchema.parse(await (await api('/api/products?search=100%25')).json());
    expect(percent.items.map((item) => item.serial_number)).toEqual(['E2E-PCT']);
    const underscore = ProductListSchema.parse(await (await api('/api/products?search=E2E_P')).json());
    expect(underscore.total).toBe(0);
  });

  it('never forwards /internal routes and answers unknown routes with 404 problem+json', async () => {
    const internal = await api('/internal/products/ensure', { method: 'POST', body: '{}' });
    expect(internal.status).toBe(404);
    const unknown = await api('/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  it('serves the OpenAPI document and the reference page', async () => {
    const document = (await (await api('/api/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/products', '/api/upload']));
    const docs = await api('/api/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
  });
});
