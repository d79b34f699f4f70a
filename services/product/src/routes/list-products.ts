import { listProductsRoute } from '@ipp/contracts/routes';
import { listProducts } from '../products/products.ts';
import type { ProductRouter } from './router.ts';

/** GET /api/products?page&per_page&search */
export function mountListProducts(router: ProductRouter) {
  router.api.openapi(listProductsRoute, async (c) =>
    c.json(await listProducts(router.em(), c.req.valid('query')), 200),
  );
}
