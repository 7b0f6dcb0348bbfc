import type { MinimalJob } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { exponentialBackoffMs, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, responderBackoffStrategy } from './backoff.js';
import { PermanentResponderError, TransientResponderError } from './responders/errors.js';

const jobWithBackoff = (backoff: MinimalJob['opts']['backoff']) => ({ opts: { backoff } }) as MinimalJob;

describe('exponentialBackoffMs', () => {
  it('doubles from the base delay, each wait between half and all of its ceiling (equal jitter)', () => {
    const ceilings = [500, 1000, 2000, 4000, 8000, 16_000];
    ceilings.forEach((ceiling, index) => {
      expect(exponentialBackoffMs(index + 1, 500, () => 0)).toBe(ceiling / 2);
      expect(exponentialBackoffMs(index + 1, 500, () => 0.999_999)).toBe(ceiling);
    });
  });

  it(`never waits longer than ${MAX_BACKOFF_MS} ms`, () => {
    expect(exponentialBackoffMs(7, 500, () => 0.999_999)).toBe(MAX_BACKOFF_MS);
    expect(exponentialBackoffMs(20, 500, () => 0.999_999)).toBe(MAX_BACKOFF_MS);
    expect(exponentialBackoffMs(20, 500, () => 0)).toBe(MAX_BACKOFF_MS / 2);
  });

  it('spreads retries that would otherwise come back together', () => {
    const waits = new Set(Array.from({ length: 50 }, () => exponentialBackoffMs(4, 500)));
    expect(waits.size).toBeGreaterThan(10);
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(2000);
      expect(wait).toBeLessThanOrEqual(4000);
    }
  });
});

describe('responderBackoffStrategy', () => {
  it("honours an upstream's Retry-After over the exponential backoff", () => {
    expect(responderBackoffStrategy(1, 'responder', new TransientResponderError('429', { retryAfterMs: 7000 }), jobWithBackoff({ type: 'responder', delay: 500 }))).toBe(7000);
    expect(responderBackoffStrategy(3, 'responder', new TransientResponderError('503', { retryAfterMs: 0 }))).toBe(0);
  });

  it(`caps a Retry-After at ${MAX_RETRY_AFTER_MS / 60_000} minutes`, () => {
    expect(responderBackoffStrategy(1, 'responder', new TransientResponderError('429', { retryAfterMs: 86_400_000 }))).toBe(MAX_RETRY_AFTER_MS);
  });

  it("backs off exponentially from the job's delay for any other error", () => {
    for (const error of [new TransientResponderError('500'), new Error('anything'), new PermanentResponderError('x'), undefined]) {
      const wait = responderBackoffStrategy(3, 'responder', error, jobWithBackoff({ type: 'responder', delay: 100 }));
      expect(wait).toBeGreaterThanOrEqual(200);
      expect(wait).toBeLessThanOrEqual(400);
    }
  });

  it('falls back to a 500 ms base when the job names no delay', () => {
    const wait = responderBackoffStrategy(1, 'responder', new Error('x'), jobWithBackoff({ type: 'responder' }));
    expect(wait).toBeGreaterThanOrEqual(250);
    expect(wait).toBeLessThanOrEqual(500);
  });
});
