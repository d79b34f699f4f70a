import { describe, expect, it } from 'vitest';
import { startServerSpan, traceContextHeaders } from './telemetry.ts';

// No SDK registered in this file's process: tracing is off.
describe('with tracing off', () => {
  it('starts no server span and injects no context, even for a caller that sent one', () => {
    const headers: Record<string, string> = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const read = { get: (name: string) => headers[name], names: () => Object.keys(headers) };
    expect(startServerSpan('GET', '/api/products', read)).toBeUndefined();
    expect(traceContextHeaders()).toEqual({});
  });
});
