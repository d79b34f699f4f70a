import { ProductIdSchema } from '@ipp/contracts';
import { deleteProduct } from '../products/products.ts';
import { parseInput } from './input.ts';
import type { ProductRouter } from './router.ts';

/** DELETE /api/products/:id → 204; the product's images go with it. */
export function deleteProductRoute(router: ProductRouter) {
  router.app.delete('/api/products/:id', async (c) => {
    const id = parseInput(ProductIdSchema, c.req.param('id'), 'id');
    await deleteProduct(router.em(), id);
    return c.body(null, 204);
  });
}
