import { deleteProductRoute } from '@ipp/contracts/routes';
import { deleteProduct } from '../products/products.ts';
import type { ProductRouter } from './router.ts';

/** DELETE /api/products/{id} → 204; the product's images go with it. */
export function mountDeleteProduct(router: ProductRouter) {
  router.api.openapi(deleteProductRoute, async (c) => {
    await deleteProduct(router.em(), c.req.valid('param').id);
    return c.body(null, 204);
  });
}
