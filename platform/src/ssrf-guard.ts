import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';
import { z } from 'zod';
import { positiveInt } from './config.ts';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Which non-public addresses outgoing fetches may reach: none, all, or those inside the listed CIDRs. */
export type NetworkPolicy = { allowAll: boolean; allowed: Array<[Address, number]> };

/** Cloud metadata endpoints stay refused under `true`; only an explicit CIDR opens them. */
const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'];

export function parseNetworkPolicy(value: string): NetworkPolicy {
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'false') return { allowAll: false, allowed: [] };
  if (text === 'true') return { allowAll: true, allowed: [] };
  const allowed = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((cidr) =>
      cidr.includes('/') ? ipaddr.parseCIDR(cidr) : ipaddr.parseCIDR(`${cidr}/${cidr.includes(':') ? 128 : 32}`),
    );
  return { allowAll: false, allowed };
}

/** The env fragment of the fetch limits shared by image downloads and webhook deliveries. */
export const fetchEnv = {
  FETCH_ALLOW_PRIVATE_NETWORKS: z
    .string()
    .default('false')
    .transform((value, context) => {
      try {
        return parseNetworkPolicy(value);
      } catch {
        context.addIssue({ code: 'custom', message: 'expected false, true or a comma-separated list of CIDRs' });
        return z.NEVER;
      }
    }),
  FETCH_TIMEOUT_MS: positiveInt(15_000),
  FETCH_MAX_BYTES: positiveInt(26_214_400),
  FETCH_MAX_REDIRECTS: z.coerce.number().int().min(0).default(5),
};

/** A URL or address the policy refuses; callers treat it as a permanent failure. */
export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  readonly code = 'blocked_address';
}

function normalise(address: Address): Address {
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched against IPv4 CIDRs as the IPv4 address it carries.
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

function listed(address: Address, policy: NetworkPolicy) {
  return policy.allowed.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

/**
 * Why `address` may not be reached (its ipaddr.js range, e.g. `loopback`, `private`, `ipv4Mapped`,
 * `rfc6052` for NAT64), or undefined when it may. Only globally routable unicast passes by default.
 */
export function addressBlockReason(address: string, policy: NetworkPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid address';
  const parsed = normalise(ipaddr.parse(address));
  if (listed(parsed, policy)) return undefined;
  if (METADATA_ADDRESSES.some((metadata) => parsed.toString() === ipaddr.parse(metadata).toString())) {
    return 'cloud metadata';
  }
  const range = parsed.range();
  if (range === 'unicast' || policy.allowAll) return undefined;
  return range;
}

function assertAddress(address: string, host: string, policy: NetworkPolicy) {
  const reason = addressBlockReason(address, policy);
  if (reason)
    throw new BlockedAddressError(`${host} resolves to a ${reason} address (${address}), which is not allowed`);
}

/**
 * Checks a URL before a request: http(s) only, and an IP-literal host (which never goes through DNS)
 * must be allowed. Host names are checked at connect time by the guarded lookup.
 */
export function checkUrl(url: string | URL, policy: NetworkPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BlockedAddressError(`not a valid URL: ${String(url).slice(0, 200)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BlockedAddressError(`only http and https URLs are allowed, not ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password) throw new BlockedAddressError('URLs with credentials are not allowed');
  // The WHATWG parser already rewrote decimal, hex and octal IPv4 spellings to dotted form.
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) assertAddress(host, host, policy);
  return parsed;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `dns.lookup` replacement that refuses the connection when any resolved address is not allowed. */
export function guardedLookup(policy: NetworkPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      try {
        for (const { address } of addresses) assertAddress(address, hostname, policy);
      } catch (blocked) {
        return callback(blocked as NodeJS.ErrnoException, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/** An undici dispatcher whose every connection (redirect hops included) passes the guarded lookup. */
export function createGuardedAgent(policy: NetworkPolicy, options: { connections?: number } = {}) {
  return new Agent({
    connect: { lookup: guardedLookup(policy) as never },
    connections: options.connections ?? null,
  });
}

/** The guard's refusal behind an undici/fetch error (`TypeError: fetch failed` wraps it as its cause). */
export function blockedCause(error: unknown): BlockedAddressError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof BlockedAddressError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
