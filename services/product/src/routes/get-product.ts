import { ProductIdSchema } from '@ipp/contracts';
import { getProduct } from '../products/products.ts';
import { parseInput } from './input.ts';
import type { ProductRouter } from './router.ts';

/** GET /api/products/:id */
export function getProductRoute(router: ProductRouter) {
  router.app.get('/api/products/:id', async (c) => {
    const id = parseInput(ProductIdSchema, c.req.param('id'), 'id');
    return c.json(await getProduct(router.em(), id));
  });
}
