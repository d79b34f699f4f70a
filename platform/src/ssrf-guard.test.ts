import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import {
  addressBlockReason,
  BlockedAddressError,
  checkUrl,
  fetchEnv,
  guardedLookup,
  parseNetworkPolicy,
} from './ssrf-guard.ts';

const closed = parseNetworkPolicy('false');

describe('addressBlockReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(addressBlockReason(address, closed)).toBe(reason);
  });

  it('allows public unicast addresses', () => {
    expect(addressBlockReason('8.8.8.8', closed)).toBeUndefined();
    expect(addressBlockReason('2606:4700:4700::1111', closed)).toBeUndefined();
    // An IPv4-mapped public address is that public address.
    expect(addressBlockReason('::ffff:8.8.8.8', closed)).toBeUndefined();
  });

  it('allows everything but metadata under true', () => {
    const open = parseNetworkPolicy('true');
    expect(addressBlockReason('127.0.0.1', open)).toBeUndefined();
    expect(addressBlockReason('10.0.0.1', open)).toBeUndefined();
    expect(addressBlockReason('169.254.169.254', open)).toBe('cloud metadata');
  });

  it('allows only the listed CIDRs, IPv4-mapped forms included', () => {
    const policy = parseNetworkPolicy('127.0.0.0/8, fd12::/16');
    expect(addressBlockReason('127.0.0.1', policy)).toBeUndefined();
    expect(addressBlockReason('::ffff:127.0.0.1', policy)).toBeUndefined();
    expect(addressBlockReason('fd12::5', policy)).toBeUndefined();
    expect(addressBlockReason('10.0.0.1', policy)).toBe('private');
    expect(addressBlockReason('::1', policy)).toBe('loopback');
  });
});

describe('checkUrl', () => {
  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://[::1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://0.0.0.0/',
    'http://[64:ff9b::a00:1]/',
  ])('refuses %s', (url) => {
    expect(() => checkUrl(url, closed)).toThrow(BlockedAddressError);
  });

  it.each([
    'file:///etc/passwd',
    'ftp://example.com/a.jpg',
    'gopher://example.com/',
    'http://user:pw@example.com/',
    'not a url',
  ])('refuses %s', (url) => {
    expect(() => checkUrl(url, closed)).toThrow(BlockedAddressError);
  });

  it('passes host names through to the connect-time lookup', () => {
    expect(checkUrl('https://images.example.com/a.jpg', closed).hostname).toBe('images.example.com');
  });
});

describe('guardedLookup', () => {
  const lookup = (host: string, policy = closed, all = false) =>
    new Promise<unknown>((resolve, reject) =>
      guardedLookup(policy)(host, { all }, (error, address) => (error ? reject(error) : resolve(address))),
    );

  it('refuses a name that resolves to loopback', async () => {
    await expect(lookup('localhost')).rejects.toThrow(BlockedAddressError);
  });

  it('resolves an allowed name in the form the caller asked for', async () => {
    const policy = parseNetworkPolicy('true');
    expect(await lookup('localhost', policy)).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(await lookup('localhost', policy, true)).toEqual(
      expect.arrayContaining([expect.objectContaining({ family: expect.any(Number) })]),
    );
  });
});

describe('fetchEnv', () => {
  it('parses the policy and rejects a bad CIDR naming the variable', () => {
    expect(
      loadConfig(fetchEnv, { FETCH_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/8' }).FETCH_ALLOW_PRIVATE_NETWORKS.allowed,
    ).toHaveLength(1);
    expect(() => loadConfig(fetchEnv, { FETCH_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/99' })).toThrow(
      /FETCH_ALLOW_PRIVATE_NETWORKS/,
    );
  });
});
