import { getProductRoute } from '@ipp/contracts/routes';
import { getProduct } from '../products/products.ts';
import type { ProductRouter } from './router.ts';

/** GET /api/products/{id} */
export function mountGetProduct(router: ProductRouter) {
  router.api.openapi(getProductRoute, async (c) => c.json(await getProduct(router.em(), c.req.valid('param').id), 200));
}
