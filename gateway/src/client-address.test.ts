import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address.ts';

describe('clientAddress', () => {
  it('uses the socket address and ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(clientAddress('10.0.0.9', '1.2.3.4', 0)).toEqual({ client: '10.0.0.9', chain: '10.0.0.9' });
  });

  it('takes the entry written by the last trusted proxy', () => {
    expect(clientAddress('10.0.0.9', '6.6.6.6, 1.2.3.4', 1)).toEqual({ client: '1.2.3.4', chain: '1.2.3.4, 10.0.0.9' });
    expect(clientAddress('10.0.0.9', '6.6.6.6, 1.2.3.4, 10.0.0.8', 2)).toEqual({
      client: '1.2.3.4',
      chain: '1.2.3.4, 10.0.0.8, 10.0.0.9',
    });
  });

  it('stops at the leftmost entry when fewer hops are present than trusted', () => {
    expect(clientAddress('10.0.0.9', '1.2.3.4', 3).client).toBe('1.2.3.4');
  });

  it('joins repeated headers and folds IPv4-mapped IPv6 addresses', () => {
    expect(clientAddress('::ffff:10.0.0.9', ['6.6.6.6', '1.2.3.4'], 1).client).toBe('1.2.3.4');
    expect(clientAddress('::ffff:127.0.0.1', undefined, 1).client).toBe('127.0.0.1');
  });
});
