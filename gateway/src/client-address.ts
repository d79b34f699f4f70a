export type ClientAddress = { client: string; chain: string };

/**
 * The client's address and the forwarding chain to pass on. Only the last `trustedHops` entries of
 * X-Forwarded-For were written by proxies we trust; anything before them is the client's own claim.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedHops: number,
): ClientAddress {
  const peer = normalise(socketAddress ?? 'unknown');
  if (trustedHops === 0 || !forwardedFor) return { client: peer, chain: peer };
  const claimed = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const hops = [...claimed, peer];
  const index = Math.max(0, hops.length - 1 - trustedHops);
  return { client: hops[index] as string, chain: hops.slice(index).join(', ') };
}

// IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d; one client, one key.
function normalise(address: string) {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
