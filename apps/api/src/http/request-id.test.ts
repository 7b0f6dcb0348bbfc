import { describe, expect, it } from 'vitest';
import { requestIdOf } from './request-id.js';

const GENERATED = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdOf', () => {
  it.each(['a', 'req-1', 'x'.repeat(128), 'abc:def/ghi=jkl'])('keeps a client id of 1-128 visible ASCII characters: %j', (id) => {
    expect(requestIdOf(id)).toBe(id);
  });

  it.each([
    ['none', undefined],
    ['an empty one', ''],
    ['one of 129 characters', 'x'.repeat(129)],
    ['one with a space', 'a b'],
    ['one with a tab', 'a\tb'],
    ['one with non-ASCII', 'réq'],
  ])('generates one for %s', (_, header) => {
    expect(requestIdOf(header)).toMatch(GENERATED);
  });

  it('generates a different id each time', () => {
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });
});
