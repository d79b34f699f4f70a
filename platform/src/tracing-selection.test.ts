import { afterEach, describe, expect, it, vi } from 'vitest';
import { selectedInstrumentations } from './tracing-selection.ts';

afterEach(() => vi.restoreAllMocks());

describe('the instrumentations tracing loads', () => {
  it('are all of them unless the operator names some', () => {
    expect(selectedInstrumentations({})).toEqual(['undici', 'pg', 'amqplib', 'ioredis']);
    expect(selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: ' ' })).toEqual([
      'undici',
      'pg',
      'amqplib',
      'ioredis',
    ]);
  });

  it('are the enabled ones less the disabled ones, so a name in both lists is off', () => {
    expect(selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' })).toEqual([
      'undici',
      'amqplib',
      'ioredis',
    ]);
    expect(selectedInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'amqplib, pg' })).toEqual(['pg', 'amqplib']);
    expect(
      selectedInstrumentations({
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,amqplib',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
      }),
    ).toEqual(['amqplib']);
  });

  it('warns about a name the platform does not have and ignores it', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'postgres,pg' })).toEqual([
      'undici',
      'amqplib',
      'ioredis',
    ]);
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]?.[0])).toContain('No instrumentation named postgres');

    warn.mockClear();
    expect(selectedInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg, ,ioredis,' })).toEqual([
      'undici',
      'amqplib',
    ]);
    expect(warn).not.toHaveBeenCalled();
  });
});
