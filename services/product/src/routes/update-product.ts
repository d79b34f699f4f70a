import { ProductIdSchema, UpdateProductSchema } from '@ipp/contracts';
import { updateProduct } from '../products/products.ts';
import { jsonBody, parseInput } from './input.ts';
import type { ProductRouter } from './router.ts';

/** PUT /api/products/:id: the fields present replace the stored ones. */
export function updateProductRoute(router: ProductRouter) {
  router.app.put('/api/products/:id', async (c) => {
    const id = parseInput(ProductIdSchema, c.req.param('id'), 'id');
    const body = await jsonBody(c, UpdateProductSchema);
    return c.json(await updateProduct(router.em(), id, body));
  });
}
