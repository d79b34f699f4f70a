import { parseNetworkPolicy } from '@ipp/platform/ssrf-guard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSourceFetcher, type FetchLimits } from './fetch-source.ts';
import { serveBytes, startImageServer } from './testing/image-server.ts';

const image = Buffer.alloc(4096, 7);
const loopbackOnly: FetchLimits = {
  policy: parseNetworkPolicy('127.0.0.0/8'),
  timeoutMs: 1500,
  maxBytes: 10_000,
  maxRedirects: 2,
};

let server: Awaited<ReturnType<typeof startImageServer>>;
beforeAll(async () => {
  server = await startImageServer({
    '/image': serveBytes(image, 'image/jpeg'),
    '/large': serveBytes(Buffer.alloc(20_000)),
    '/unframed': (_request, response) => {
      // No Content-Length, no chunking: the body runs until the server closes the connection.
      response.socket?.end(
        Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n'), Buffer.alloc(30_000)]),
      );
    },
    '/lying-length': (_request, response) => {
      // Claims 100 bytes, then sends far more.
      response.socket?.end(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n'),
          Buffer.alloc(30_000),
        ]),
      );
    },
    '/chunked-large': (_request, response) => {
      response.writeHead(200);
      for (let index = 0; index < 5; index++) response.write(Buffer.alloc(5000));
      response.end();
    },
    '/slow': (_request, response) => {
      response.writeHead(200);
      response.write(Buffer.alloc(10));
      // Never finishes within the test's timeout.
    },
    '/gone': (_request, response) => response.writeHead(410).end(),
    '/forbidden': (_request, response) => response.writeHead(403).end(),
    '/broken': (_request, response) => response.writeHead(503).end(),
    '/busy': (_request, response) => response.writeHead(429).end(),
    '/hop': (_request, response) => response.writeHead(302, { location: '/image' }).end(),
    '/to-metadata': (_request, response) =>
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    '/to-private': (_request, response) => response.writeHead(301, { location: 'http://10.0.0.1/a.jpg' }).end(),
    '/to-localhost-v6': (_request, response) => response.writeHead(307, { location: 'http://[::1]/' }).end(),
    '/loop': (_request, response) => response.writeHead(302, { location: '/loop' }).end(),
  });
});
afterAll(() => server.close());

async function failure(url: string, limits = loopbackOnly) {
  const fetcher = createSourceFetcher(limits);
  try {
    await fetcher.download(url);
  } catch (error) {
    return error as { code: string; permanent: boolean; message: string };
  } finally {
    await fetcher.close();
  }
  throw new Error(`${url} was downloaded`);
}

describe('createSourceFetcher', () => {
  it('downloads a source, following a redirect', async () => {
    const fetcher = createSourceFetcher(loopbackOnly);
    expect(await fetcher.download(server.url('/image'))).toEqual(image);
    expect(await fetcher.download(server.url('/hop'))).toEqual(image);
    await fetcher.close();
  });

  it('fails a 404 or 410 permanently as not found', async () => {
    expect(await failure(server.url('/missing'))).toMatchObject({ code: 'source_not_found', permanent: true });
    expect(await failure(server.url('/gone'))).toMatchObject({ code: 'source_not_found', permanent: true });
  });

  it('fails other 4xx permanently and 5xx or 429 transiently', async () => {
    expect(await failure(server.url('/forbidden'))).toMatchObject({ code: 'source_rejected', permanent: true });
    expect(await failure(server.url('/broken'))).toMatchObject({ code: 'source_unavailable', permanent: false });
    expect(await failure(server.url('/busy'))).toMatchObject({ code: 'source_unavailable', permanent: false });
  });

  it('refuses a source over FETCH_MAX_BYTES, whether declared, chunked or unframed', async () => {
    for (const path of ['/large', '/chunked-large', '/unframed']) {
      expect(await failure(server.url(path))).toMatchObject({ code: 'source_too_large', permanent: true });
    }
  });

  it('never reads more than a lying Content-Length declares', async () => {
    const fetcher = createSourceFetcher(loopbackOnly);
    const body = await fetcher.download(server.url('/lying-length')).catch(() => Buffer.alloc(0));
    await fetcher.close();
    expect(body.length).toBeLessThanOrEqual(100);
  });

  it('gives up on a slow source after FETCH_TIMEOUT_MS, as a transient failure', async () => {
    expect(await failure(server.url('/slow'), { ...loopbackOnly, timeoutMs: 300 })).toMatchObject({
      code: 'source_timeout',
      permanent: false,
    });
  });

  it('refuses redirects to metadata, private and loopback addresses outside the allow list', async () => {
    for (const path of ['/to-metadata', '/to-private', '/to-localhost-v6']) {
      expect(await failure(server.url(path))).toMatchObject({ code: 'blocked_address', permanent: true });
    }
  });

  it('stops after FETCH_MAX_REDIRECTS', async () => {
    expect(await failure(server.url('/loop'))).toMatchObject({ code: 'too_many_redirects', permanent: true });
  });

  it('refuses a connection transiently when nothing listens', async () => {
    const closed = await startImageServer({});
    await closed.close();
    expect(await failure(closed.url('/image'))).toMatchObject({ code: 'source_unreachable', permanent: false });
  });

  describe('with the guard closed (FETCH_ALLOW_PRIVATE_NETWORKS=false)', () => {
    const closed = { ...loopbackOnly, policy: parseNetworkPolicy('false') };
    it.each([
      (port: number) => `http://127.0.0.1:${port}/image`,
      (port: number) => `http://localhost:${port}/image`,
      (port: number) => `http://2130706433:${port}/image`,
      (port: number) => `http://0x7f.1:${port}/image`,
      (port: number) => `http://0177.0.0.1:${port}/image`,
      (port: number) => `http://[::ffff:127.0.0.1]:${port}/image`,
      () => 'http://169.254.169.254/latest/meta-data/',
      () => 'http://[fd00:ec2::254]/',
      () => 'http://10.0.0.1/a.jpg',
      () => 'http://100.64.0.1/a.jpg',
      () => 'file:///etc/passwd',
    ])('refuses %s', async (build) => {
      expect(await failure(build(server.port), closed)).toMatchObject({ code: 'blocked_address', permanent: true });
    });
  });
});
