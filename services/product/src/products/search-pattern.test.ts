import { describe, expect, it } from 'vitest';
import { containsPattern } from './search-pattern.ts';

describe('containsPattern', () => {
  it('wraps a plain term in wildcards', () => {
    expect(containsPattern('desk')).toBe('%desk%');
  });

  it('escapes LIKE wildcards and the escape character so they match literally', () => {
    expect(containsPattern('50%_off\\now')).toBe('%50\\%\\_off\\\\now%');
  });
});
