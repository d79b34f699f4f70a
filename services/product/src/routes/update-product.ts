import { updateProductRoute } from '@ipp/contracts/routes';
import { requireJsonBody } from '@ipp/platform/json-body';
import { updateProduct } from '../products/products.ts';
import type { ProductRouter } from './router.ts';

/** PUT /api/products/{id}: the fields present replace the stored ones. */
export function mountUpdateProduct(router: ProductRouter) {
  router.api.openapi({ ...updateProductRoute, middleware: [requireJsonBody] }, async (c) => {
    const product = await updateProduct(router.em(), c.req.valid('param').id, c.req.valid('json'));
    return c.json(product, 200);
  });
}
