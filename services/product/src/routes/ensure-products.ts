import { createRoute } from '@hono/zod-openapi';
import { EnsuredProductsSchema, EnsureProductsSchema } from '@ipp/contracts';
import { requireJsonBody } from '@ipp/platform/json-body';
import { ensureProducts } from '../products/products.ts';
import type { ProductRouter } from './router.ts';

// Internal: the gateway never forwards /internal/*, so the route stays out of the public document.
const ensureProductsRoute = createRoute({
  method: 'post',
  path: '/internal/products/ensure',
  hide: true,
  middleware: [requireJsonBody],
  request: { body: { required: true, content: { 'application/json': { schema: EnsureProductsSchema } } } },
  responses: {
    200: {
      description: 'The products, found or created.',
      content: { 'application/json': { schema: EnsuredProductsSchema } },
    },
  },
});

/** POST /internal/products/ensure: the upload service finds or creates the products of a CSV in one call. */
export function mountEnsureProducts(router: ProductRouter) {
  router.api.openapi(ensureProductsRoute, async (c) =>
    c.json(await ensureProducts(router.em(), c.req.valid('json')), 200),
  );
}
