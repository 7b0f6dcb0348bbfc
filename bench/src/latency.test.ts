import { describe, expect, it } from 'vitest';
import { LatencySamples } from './latency.js';

describe('LatencySamples', () => {
  it('gives nearest-rank percentiles over 1..1000, added in any order', () => {
    const samples = new LatencySamples();
    const values = Array.from({ length: 1000 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
    for (const value of values) samples.add(value);
    expect(samples.summary()).toEqual({ samples: 1000, p50: 500, p99: 990, p999: 999, max: 1000 });
  });

  it('sorts numerically, not as text, and keeps sorting right after more samples arrive', () => {
    const samples = new LatencySamples();
    for (const value of [100, 9, 20]) samples.add(value);
    expect(samples.percentile(100)).toBe(100);
    samples.add(5);
    expect(samples.percentile(25)).toBe(5);
  });

  it('reports nothing measured as null, not NaN (JSON has no NaN)', () => {
    expect(new LatencySamples().summary()).toEqual({ samples: 0, p50: null, p99: null, p999: null, max: null });
  });
});
