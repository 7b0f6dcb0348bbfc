import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { isPermanentFailure, isTransientStatus, parseRetryAfter, PermanentResponderError, retryAfterMsOf, TransientResponderError } from './errors.js';

describe('parseRetryAfter', () => {
  // A whole second from the real clock: an HTTP date has no milliseconds.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const httpDate = (ms: number) => new Date(ms).toUTCString();

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    [httpDate(now + 30_000), 30_000],
    [httpDate(now - 60_000), 0], // a date in the past: retry now
    ['soon', undefined],
    ['1.5', undefined],
    ['-3', undefined],
    ['', undefined],
    [null, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('failure classes', () => {
  it.each([
    [408, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [404, false],
    [422, false],
  ])('HTTP %i is transient: %s', (status, transient) => {
    expect(isTransientStatus(status)).toBe(transient);
  });

  it('counts BullMQ\'s UnrecoverableError as permanent, and unknown errors as transient', () => {
    expect(isPermanentFailure(new PermanentResponderError('no'))).toBe(true);
    expect(isPermanentFailure(new UnrecoverableError('no'))).toBe(true);
    expect(isPermanentFailure(new TransientResponderError('later'))).toBe(false);
    expect(isPermanentFailure(new Error('who knows'))).toBe(false);
  });

  it('only a transient error carries a Retry-After', () => {
    expect(retryAfterMsOf(new TransientResponderError('429', { retryAfterMs: 5 }))).toBe(5);
    expect(retryAfterMsOf(new Error('x'))).toBeUndefined();
  });
});
