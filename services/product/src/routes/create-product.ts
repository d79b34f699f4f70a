import { CreateProductSchema } from '@ipp/contracts';
import { createProduct } from '../products/products.ts';
import { jsonBody } from './input.ts';
import type { ProductRouter } from './router.ts';

/** POST /api/products → 201 with a Location header. */
export function createProductRoute(router: ProductRouter) {
  router.app.post('/api/products', async (c) => {
    const body = await jsonBody(c, CreateProductSchema);
    const product = await createProduct(router.em(), body);
    c.header('Location', `/api/products/${product.id}`);
    return c.json(product, 201);
  });
}
