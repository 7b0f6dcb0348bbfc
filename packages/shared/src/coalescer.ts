/** How a Coalescer groups calls. */
export interface CoalescerLimits {
  /** Calls in one flush at most. */
  maxBatch: number;
  /** Flushes under way at once; calls made while this many are in flight wait and go together. */
  maxInFlight: number;
}

interface Call<I, O> {
  input: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit for calls, as databases commit: a call made while fewer than `maxInFlight`
 * flushes are under way goes at once, alone, so an idle caller waits for nothing; calls made
 * meanwhile queue up and go together, up to `maxBatch` per flush, as soon as one finishes.
 * The busier the caller, the more each flush carries, with no timer anywhere.
 *
 * `flush` answers its inputs in order, one output each; if it throws, every call it carried
 * fails with that error.
 */
export class Coalescer<I, O> {
  #inFlight = 0;
  #queued: Array<Call<I, O>> = [];

  constructor(
    private readonly flush: (inputs: readonly I[]) => Promise<readonly O[]>,
    private readonly limits: CoalescerLimits,
  ) {
    if (!(limits.maxBatch >= 1 && limits.maxInFlight >= 1)) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  /** Flushes under way. */
  get inFlight(): number {
    return this.#inFlight;
  }

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queued.push({ input, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.limits.maxInFlight && this.#queued.length > 0) {
      void this.#send(this.#queued.splice(0, this.limits.maxBatch));
    }
  }

  async #send(calls: Array<Call<I, O>>): Promise<void> {
    this.#inFlight++;
    try {
      const outputs = await this.flush(calls.map((call) => call.input));
      if (outputs.length !== calls.length) throw new Error(`a flush of ${calls.length} calls answered ${outputs.length}`);
      calls.forEach((call, index) => call.resolve(outputs[index]!));
    } catch (error) {
      for (const call of calls) call.reject(error);
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}
