import { Scalar } from '@scalar/hono-api-reference';
import { Hono } from 'hono';
import { buildOpenApiDocument } from './openapi-document.ts';
import { renderProblemPages } from './problem-pages.ts';

export type StaticPage = { contentType: string; body: Buffer };

/**
 * The public API's OpenAPI document (generated from the route declarations), its browsable reference page
 * and the page of each problem type. All are rendered once at start-up, so serving them costs a buffer write.
 */
export async function renderDocs(version: string): Promise<Record<string, StaticPage>> {
  const document = buildOpenApiDocument({ version });
  const app = new Hono();
  app.get('/api/docs', Scalar({ url: '/api/openapi.json', pageTitle: 'Image Processing Platform API' }));
  const page = await app.request('/api/docs');
  return {
    '/api/openapi.json': {
      contentType: 'application/json; charset=utf-8',
      body: Buffer.from(JSON.stringify(document)),
    },
    '/api/docs': {
      contentType: page.headers.get('content-type') ?? 'text/html; charset=utf-8',
      body: Buffer.from(await page.arrayBuffer()),
    },
    ...renderProblemPages(),
  };
}
