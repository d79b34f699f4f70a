import { rawRequest, sendAndCut } from '@ipp/platform/testing/sockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, startGateway, startUpstream } from './testing/gateway.ts';

describe('requests node:http cannot parse, at the gateway', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  beforeAll(async () => {
    upstream = await startUpstream(echo('product'));
    gateway = await startGateway({ upstreams: { product: upstream.url } });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  /** The raw answer to `bytes`, read until the gateway closes the connection. */
  const answerTo = (bytes: Buffer) => sendAndCut(gateway.url, bytes, bytes.length, 300);
  const parse = (answer: string) => {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body };
  };

  it('answers headers over the limit with a 431 problem+json and a request id, in one header or many', async () => {
    const url = `${gateway.url}/api/products`;
    const oneHeader = rawRequest({ method: 'GET', url, headers: { 'x-padding': 'p'.repeat(20_000) } });
    const manyHeaders = rawRequest({
      method: 'GET',
      url,
      headers: Object.fromEntries(Array.from({ length: 2_000 }, (_, index) => [`x-h-${index}`, 'v'])),
    });
    const longUrl = rawRequest({ method: 'GET', url: `${url}?search=${'s'.repeat(20_000)}` });
    for (const bytes of [oneHeader, manyHeaders, longUrl]) {
      const answer = parse(await answerTo(bytes));
      expect(answer.status).toBe(431);
      expect(answer.head).toContain('content-type: application/problem+json');
      expect(answer.head).toMatch(/x-request-id: [0-9a-f-]{36}/);
      expect(JSON.parse(answer.body)).toMatchObject({ type: '/problems/headers-too-large', status: 431 });
    }
  });

  it('answers a request it cannot parse otherwise as node:http does, 400 with no body', async () => {
    const answer = parse(await answerTo(Buffer.from('GET /api/products HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')));
    expect([answer.status, answer.body]).toEqual([400, '']);
  });

  it('still serves requests just under the limit', async () => {
    const response = await fetch(`${gateway.url}/api/products`, { headers: { 'x-padding': 'p'.repeat(15_000) } });
    expect(response.status).toBe(200);
  });
});
