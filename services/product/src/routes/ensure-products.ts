import { EnsureProductsSchema } from '@ipp/contracts';
import { ensureProducts } from '../products/products.ts';
import { jsonBody } from './input.ts';
import type { ProductRouter } from './router.ts';

/** POST /internal/products/ensure: the upload service finds or creates the products of a CSV in one call. */
export function ensureProductsRoute(router: ProductRouter) {
  router.app.post('/internal/products/ensure', async (c) => {
    const body = await jsonBody(c, EnsureProductsSchema);
    return c.json(await ensureProducts(router.em(), body));
  });
}
