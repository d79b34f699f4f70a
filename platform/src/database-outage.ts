// Whether a failure means PostgreSQL cannot be reached (wait for it) or that a statement failed (fail it).

// Socket errors, PostgreSQL's connection exceptions (08…, not 08P01, a protocol violation by the
// statement) and its shutdown and startup states (57P0x).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);
// What node-postgres says, without a code, when a connection dies, hangs past its query timeout or cannot be had.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|Query read timeout/i;

/**
 * Whether an error (or one it wraps, as MikroORM and AggregateError do) means the database cannot be
 * reached right now, rather than that a statement failed: the work should wait for it, not fail.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const code = String((error as { code?: unknown }).code ?? '');
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_MESSAGE.test(error.message)) return true;
  const nested = error instanceof AggregateError ? error.errors : [];
  return [error.cause, ...nested].some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/**
 * isDatabaseUnavailable, confirmed by `probe` (a `SELECT 1`) failing too: an error that only looks like
 * an outage (a timeout from elsewhere in its cause chain, say) while the database answers is not one.
 */
export async function isDatabaseDown(error: unknown, probe: () => Promise<unknown>): Promise<boolean> {
  if (!isDatabaseUnavailable(error)) return false;
  try {
    await probe();
    return false;
  } catch {
    return true;
  }
}
