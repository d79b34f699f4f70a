import { describe, expect, it } from 'vitest';
import { resolveRoute } from './route-table.ts';

describe('resolveRoute', () => {
  it.each([
    ['/api/products', 'product', '/api/products'],
    ['/api/products?page=1&per_page=10', 'product', '/api/products'],
    ['/api/products/42', 'product', '/api/products/*'],
    ['/api/upload', 'upload', '/api/upload'],
    ['/api/uploads', 'upload', '/api/uploads'],
    ['/api/uploads/8c0e/output.csv', 'upload', '/api/uploads/*'],
    ['/api/status/8c0e', 'upload', '/api/status/*'],
    ['/files/outputs/ab/cd.jpg', 'upload', '/files/*'],
    ['/health', 'health', '/health'],
    ['/health/detailed', 'health', '/health/*'],
    ['/', 'web', '/'],
    ['/?page=2', 'web', '/'],
    ['/upload', 'web', '/upload'],
    ['/requests', 'web', '/requests'],
    ['/requests/8c0e', 'web', '/requests/*'],
    ['/products?search=desk', 'web', '/products'],
    ['/products/42', 'web', '/products/*'],
    ['/status', 'web', '/status'],
    ['/key', 'web', '/key'],
    ['/assets/app.css', 'web', '/assets/*'],
  ])('sends %s to the %s service', (target, upstream, name) => {
    expect(resolveRoute(target)).toEqual({ kind: 'proxy', upstream, name });
  });

  it('serves the API documents and the problem pages itself', () => {
    expect(resolveRoute('/api/openapi.json')).toEqual({
      kind: 'docs',
      name: '/api/openapi.json',
      page: '/api/openapi.json',
    });
    expect(resolveRoute('/api/docs')).toEqual({ kind: 'docs', name: '/api/docs', page: '/api/docs' });
    expect(resolveRoute('/problems/not-found')).toEqual({
      kind: 'docs',
      name: '/problems/*',
      page: '/problems/not-found',
    });
  });

  it.each([
    '/internal/images',
    '/internal',
    '/api/productsX',
    '/api/upload/x',
    '/api/status',
    '/metrics',
    '/healthz',
    '/assets',
    '/status/x',
    '/index.html',
  ])('has no route for %s', (target) => {
    expect(resolveRoute(target)).toMatchObject({ kind: 'refused', reason: 'not_found' });
  });

  it.each([
    '/api/../internal/images',
    '/api/products/../../internal/images',
    '/api/products/%2e%2e/%2E%2E/internal/images',
    '/api/products/.%2e/internal',
    '/api/products%2f..%2finternal',
    '/api/products/..%5cinternal',
    '/api/products\\..\\internal',
    '//internal/images',
    '/api/products//internal',
    '/api/products/./x',
    '/api/products/%00',
    'http://127.0.0.1:5101/internal/images',
    '*',
  ])('refuses the ambiguous target %s', (target) => {
    expect(resolveRoute(target)).toMatchObject({ kind: 'refused', reason: 'ambiguous' });
  });

  it('judges the path only, not the query string', () => {
    expect(resolveRoute('/api/products?search=../internal')).toMatchObject({ kind: 'proxy', upstream: 'product' });
  });
});
