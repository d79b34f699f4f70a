import { createProductRoute } from '@ipp/contracts/routes';
import { requireJsonBody } from '@ipp/platform/json-body';
import { createProduct } from '../products/products.ts';
import type { ProductRouter } from './router.ts';

/** POST /api/products → 201 with a Location header. */
export function mountCreateProduct(router: ProductRouter) {
  router.api.openapi({ ...createProductRoute, middleware: [requireJsonBody] }, async (c) => {
    const product = await createProduct(router.em(), c.req.valid('json'));
    c.header('Location', `/api/products/${product.id}`);
    return c.json(product, 201);
  });
}
