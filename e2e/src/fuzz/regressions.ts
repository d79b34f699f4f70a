// Requests the fuzzer (or the probing it led to) found answered with a 5xx or an undocumented status, kept as
// regular cases: each must now be a documented answer, and a refused one must store nothing.
import { multipartBody } from '@ipp/platform/testing/multipart';
import type { FuzzContext, FuzzRequest } from './requests.ts';

const CSV_HEADER = 'Serial Number,Product Name,Input Image Urls';

export function regressions(context: FuzzContext): FuzzRequest[] {
  const key: [string, string] = ['authorization', context.authorization];
  const json = (method: string, target: string, body: unknown): FuzzRequest => ({
    method,
    target,
    headers: [key, ['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify(body)),
  });
  const form = (parts: Parameters<typeof multipartBody>[0]): FuzzRequest => {
    const { body, contentType } = multipartBody(parts);
    return { method: 'POST', target: '/api/upload', headers: [key, ['content-type', contentType]], body };
  };
  const productId = context.known.id?.[0] ?? '1';
  // The upload route looks for NUL bytes in a CSV's first 8 KiB only: this row pushes the NUL past them.
  const longRow = `R-1,One,${Array.from({ length: 5 }, () => `${context.imageUrls[0]}?pad=${'p'.repeat(1_900)}`).join(',')}`;
  return [
    // Node answered headers over its 16 KiB limit with a bare 431 that no operation documented.
    { method: 'GET', target: '/api/products', headers: [key, ['x-padding', 'p'.repeat(20_000)]] },
    // The gateway's 400 for a path not in canonical form was not documented for the problem pages.
    { method: 'GET', target: '/problems/a%00b', headers: [] },
    // Over the product service's 64 KiB, under the gateway's limit then (1 MiB): the service refused the body
    // unread, and the pooled connection that had carried it failed the next request with a 502. Over the
    // gateway's limit now (64 KiB): its 413 came with a close that reset the client still sending (EPIPE).
    ...Array.from({ length: 3 }, () => [
      json('PUT', `/api/products/${productId}`, { name: 'Big', description: 'd'.repeat(600_000) }),
      json('PUT', `/api/products/${productId}`, { name: 'Renamed' }),
    ]).flat(),
    // NUL characters reached PostgreSQL, which cannot store them: 500.
    json('POST', '/api/products', { serial_number: 'N\0', name: 'Nul' }),
    json('POST', '/api/products', { serial_number: 'N-2', name: 'Nul', description: 'a\0b' }),
    json('PUT', `/api/products/${productId}`, { name: 'x\0' }),
    { method: 'GET', target: '/api/products?search=%00', headers: [] },
    form([
      { name: 'serial_number', data: 'I\0' },
      { name: 'name', data: 'Nul' },
      { name: 'images', filename: 'a.png', contentType: 'image/png', data: context.images[1] ?? Buffer.alloc(0) },
    ]),
    // …and past a CSV's first 8 KiB, which only the parser reads: 500.
    form([
      {
        name: 'file',
        filename: 'products.csv',
        contentType: 'text/csv',
        data: `${CSV_HEADER}\n${longRow}\nR-2,Nul\0name,${context.imageUrls[0]}\n`,
      },
    ]),
  ];
}
