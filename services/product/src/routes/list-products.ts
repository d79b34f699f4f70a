import { ListProductsQuerySchema } from '@ipp/contracts';
import { listProducts } from '../products/products.ts';
import { parseInput } from './input.ts';
import type { ProductRouter } from './router.ts';

/** GET /api/products?page&per_page&search */
export function listProductsRoute(router: ProductRouter) {
  router.app.get('/api/products', async (c) => {
    const query = parseInput(ListProductsQuerySchema, c.req.query());
    return c.json(await listProducts(router.em(), query));
  });
}
