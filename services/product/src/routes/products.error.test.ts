import { ProblemSchema } from '@ipp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProductApp } from '../testing/app.ts';

describe('products API: errors', () => {
  let fixture: Awaited<ReturnType<typeof createTestProductApp>>;
  beforeAll(async () => {
    fixture = await createTestProductApp('product_errors');
  });
  afterAll(() => fixture.close());

  const problem = async (response: Response, status: number) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    return ProblemSchema.parse(await response.json());
  };
  const paths = async (response: Response) => (await problem(response, 400)).errors?.map((error) => error.path);
  const count = async () => ((await (await fixture.app.request('/api/products')).json()) as { total: number }).total;

  it('names every missing, empty, mistyped, oversize and unknown field, and creates nothing', async () => {
    expect(await paths(await fixture.json('POST', '/api/products', {}))).toEqual(['serial_number', 'name']);
    expect(await paths(await fixture.json('POST', '/api/products', { serial_number: '  ', name: '' }))).toEqual([
      'serial_number',
      'name',
    ]);
    expect(
      await paths(await fixture.json('POST', '/api/products', { serial_number: 7, name: ['x'], description: 5 })),
    ).toEqual(['serial_number', 'name', 'description']);
    expect(
      await paths(
        await fixture.json('POST', '/api/products', {
          serial_number: 'S'.repeat(101),
          name: 'N'.repeat(256),
          description: 'D'.repeat(5001),
        }),
      ),
    ).toEqual(['serial_number', 'name', 'description']);
    expect(
      await paths(await fixture.json('POST', '/api/products', { serial_number: 'A', name: 'B', color: 'red', id: 1 })),
    ).toEqual(['color', 'id']);
    expect(await count()).toBe(0);
  });

  it('refuses malformed JSON and a non-object body with 400, a non-JSON content type with 415', async () => {
    const malformed = await fixture.app.request('/api/products', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"serial_number": "A",',
    });
    expect(await paths(malformed)).toEqual(['body']);
    const form = await fixture.app.request('/api/products', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'serial_number=A&name=B',
    });
    expect((await problem(form, 415)).errors?.map((error) => error.path)).toEqual(['body']);
    expect(await paths(await fixture.json('POST', '/api/products', ['A', 'B']))).toEqual(['body']);
    expect(await count()).toBe(0);
  });

  it('refuses bad ids with 400 and unknown ids with 404', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '01', '99999999999999999']) {
      expect(await paths(await fixture.app.request(`/api/products/${id}`))).toEqual(['id']);
    }
    await problem(await fixture.app.request('/api/products/987654'), 404);
    await problem(await fixture.json('PUT', '/api/products/987654', { name: 'x' }), 404);
    await problem(await fixture.app.request('/api/products/987654', { method: 'DELETE' }), 404);
  });

  it('refuses NUL characters, which PostgreSQL cannot store (they were a 500), in every text field and search', async () => {
    const body = { serial_number: 'S\0', name: 'N\0', description: 'D\0' };
    expect(await paths(await fixture.json('POST', '/api/products', body))).toEqual([
      'serial_number',
      'name',
      'description',
    ]);
    expect(await paths(await fixture.app.request('/api/products?search=a%00b'))).toEqual(['search']);
    expect(await count()).toBe(0);
  });

  it('refuses bad paging and oversize searches', async () => {
    for (const query of ['page=0', 'page=-1', 'page=x', 'per_page=0', 'per_page=101', 'per_page=1.5']) {
      const errors = await paths(await fixture.app.request(`/api/products?${query}`));
      expect(errors).toEqual([query.split('=')[0]]);
    }
    expect(await paths(await fixture.app.request(`/api/products?search=${'a'.repeat(201)}`))).toEqual(['search']);
  });

  it('answers 409 for a duplicate serial number on create and on update, changing nothing', async () => {
    const first = await fixture.json('POST', '/api/products', { serial_number: 'DUP-1', name: 'First' });
    expect(first.status).toBe(201);
    const second = await fixture.json('POST', '/api/products', { serial_number: 'DUP-2', name: 'Second' });
    const { id } = (await second.json()) as { id: number };
    expect(
      (await problem(await fixture.json('POST', '/api/products', { serial_number: 'DUP-1', name: 'x' }), 409)).errors,
    ).toEqual([{ path: 'serial_number', message: 'serial_number already exists' }]);
    await problem(await fixture.json('PUT', `/api/products/${id}`, { serial_number: 'DUP-1', name: 'Renamed' }), 409);
    const after = (await (await fixture.app.request(`/api/products/${id}`)).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ serial_number: 'DUP-2', name: 'Second' });
  });

  it('refuses an empty update', async () => {
    const created = await fixture.json('POST', '/api/products', { serial_number: 'EMPTY-1', name: 'x' });
    const { id } = (await created.json()) as { id: number };
    expect(await paths(await fixture.json('PUT', `/api/products/${id}`, {}))).toEqual(['body']);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await fixture.json('POST', '/api/products', { serial_number: 'BIG', name: 'x'.repeat(70_000) });
    await problem(response, 413);
  });
});
