import { resolve4 } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * The replicas behind a service's configured URLs: each comma-separated URL is one, and a DNS name that
 * resolves to several addresses (a Kubernetes headless service) is one per address. A name DNS does not
 * answer for (localhost, /etc/hosts, one address) stays as configured.
 */
export async function resolveReplicas(urls: string[]): Promise<string[]> {
  const expanded = await Promise.all(urls.map(expand));
  return [...new Set(expanded.flat())];
}

async function expand(raw: string): Promise<string[]> {
  const url = new URL(raw);
  if (isIP(url.hostname) || url.hostname === 'localhost') return [raw];
  const addresses = await resolve4(url.hostname).catch(() => []);
  if (addresses.length < 2) return [raw];
  return addresses.sort().map((address) => {
    const replica = new URL(raw);
    replica.hostname = address;
    return replica.toString().replace(/\/$/, '');
  });
}
