import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The client's request id when well-formed (short, no spaces or control characters), else a new UUID. */
export function requestIdFrom(value: string | null | undefined): string {
  return value && WELL_FORMED.test(value) ? value : randomUUID();
}
