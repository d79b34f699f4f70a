import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EnsuredProducts, EnsureProductsSchema } from '@ipp/contracts';

/**
 * A stand-in for the product service's `POST /internal/products/ensure` (its contract only): finds or
 * creates products by serial number, keeping them in memory.
 */
export async function startProductStandIn() {
  const products = new Map<string, { id: number; serial_number: string; name: string }>();
  const calls: unknown[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const parsed = EnsureProductsSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString() || 'null'));
    if (request.url !== '/internal/products/ensure' || request.method !== 'POST' || !parsed.success) {
      response.writeHead(400).end();
      return;
    }
    calls.push(parsed.data);
    const answer: EnsuredProducts = {
      products: parsed.data.products.map(({ serial_number, name }) => {
        const product = products.get(serial_number) ?? { id: products.size + 1, serial_number, name };
        products.set(serial_number, product);
        return product;
      }),
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    products,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
