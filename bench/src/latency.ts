/** Latency samples of one phase, in milliseconds, and the percentiles the report shows. */
export class LatencySamples {
  #values = new Float64Array(1024);
  #count = 0;
  #sorted = true;

  add(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
    this.#sorted = false;
  }

  get count(): number {
    return this.#count;
  }

  /** The p-th percentile (0 < p ≤ 100), nearest-rank; NaN when there are no samples. */
  percentile(p: number): number {
    if (this.#count === 0) return NaN;
    const values = this.#values.subarray(0, this.#count);
    if (!this.#sorted) {
      values.sort();
      this.#sorted = true;
    }
    // The epsilon keeps float error (0.999 * 1000 = 999.0000000000001) from skipping a rank.
    const rank = Math.ceil((p * this.#count) / 100 - 1e-9);
    return values[Math.min(this.#count, Math.max(1, rank)) - 1]!;
  }

  summary(): LatencySummary {
    return {
      samples: this.#count,
      p50: round(this.percentile(50)),
      p99: round(this.percentile(99)),
      p999: round(this.percentile(99.9)),
      max: round(this.percentile(100)),
    };
  }
}

export interface LatencySummary {
  samples: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** Two decimals, and null (JSON has no NaN) when there was nothing to measure. */
function round(ms: number): number | null {
  return Number.isNaN(ms) ? null : Math.round(ms * 100) / 100;
}
