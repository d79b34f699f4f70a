import { type EnsuredProducts, EnsuredProductsSchema, type EnsureProducts } from '@ipp/contracts';
import { AppError } from '@ipp/platform';

export type ProductClient = { ensure: (products: EnsureProducts['products']) => Promise<EnsuredProducts['products']> };

/** The contract's largest batch per call. */
const BATCH = 10_000;

/** Finds or creates products by serial number through the product service's internal endpoint. */
export function createProductClient(options: { baseUrl: string; timeoutMs?: number }): ProductClient {
  const endpoint = new URL('/internal/products/ensure', options.baseUrl);

  async function ensureBatch(products: EnsureProducts['products']) {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ products } satisfies EnsureProducts),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new AppError('unavailable', 'The product service is unreachable; retry the upload', { cause: error });
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new AppError('bad_gateway', `The product service answered ${response.status}`, { cause: new Error(text) });
    }
    return EnsuredProductsSchema.parse(await response.json()).products;
  }

  return {
    async ensure(products) {
      const ensured: EnsuredProducts['products'] = [];
      for (let start = 0; start < products.length; start += BATCH) {
        ensured.push(...(await ensureBatch(products.slice(start, start + BATCH))));
      }
      return ensured;
    },
  };
}
