import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer.js';

/** A flush the test finishes by hand, recording what each flush carried. */
function manualFlush() {
  const flushes: number[][] = [];
  const finish: Array<(error?: Error) => void> = [];
  const flush = (inputs: readonly number[]) => {
    flushes.push([...inputs]);
    return new Promise<number[]>((resolve, reject) => {
      finish.push((error) => (error ? reject(error) : resolve(inputs.map((input) => input * 10))));
    });
  };
  return { flushes, finish, flush };
}

describe('Coalescer', () => {
  it('sends a lone call at once, alone', async () => {
    const { flushes, finish, flush } = manualFlush();
    const coalescer = new Coalescer(flush, { maxBatch: 10, maxInFlight: 1 });
    const answer = coalescer.run(1);
    expect(flushes).toEqual([[1]]);
    finish[0]!();
    await expect(answer).resolves.toBe(10);
    expect(coalescer.inFlight).toBe(0);
  });

  it('groups the calls made while a flush is in flight, in order, each answered its own output', async () => {
    const { flushes, finish, flush } = manualFlush();
    const coalescer = new Coalescer(flush, { maxBatch: 10, maxInFlight: 1 });
    const answers = [1, 2, 3, 4].map((input) => coalescer.run(input));
    expect(flushes).toEqual([[1]]);
    finish[0]!();
    await answers[0];
    expect(flushes).toEqual([[1], [2, 3, 4]]);
    finish[1]!();
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 30, 40]);
  });

  it('carries at most maxBatch calls per flush, and runs maxInFlight flushes side by side', async () => {
    const { flushes, finish, flush } = manualFlush();
    const coalescer = new Coalescer(flush, { maxBatch: 2, maxInFlight: 2 });
    const answers = [1, 2, 3, 4, 5, 6, 7].map((input) => coalescer.run(input));
    expect(flushes).toEqual([[1], [2]]);
    expect(coalescer.inFlight).toBe(2);
    finish[0]!();
    await answers[0];
    expect(flushes).toEqual([[1], [2], [3, 4]]);
    finish[1]!();
    await answers[1];
    expect(flushes).toEqual([[1], [2], [3, 4], [5, 6]]);
    finish[2]!();
    finish[3]!();
    await Promise.all(answers.slice(2, 6));
    expect(flushes.at(-1)).toEqual([7]);
    finish[4]!();
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it('fails every call of a failed flush, and goes on with the next ones', async () => {
    const { finish, flush } = manualFlush();
    const coalescer = new Coalescer(flush, { maxBatch: 10, maxInFlight: 1 });
    const first = coalescer.run(1);
    const [second, third] = [coalescer.run(2), coalescer.run(3)];
    finish[0]!();
    await first;
    finish[1]!(new Error('Redis is down'));
    await expect(second).rejects.toThrow('Redis is down');
    await expect(third).rejects.toThrow('Redis is down');
    const fourth = coalescer.run(4);
    finish[2]!();
    await expect(fourth).resolves.toBe(40);
  });

  it('fails the calls of a flush that throws at once or answers the wrong number of outputs', async () => {
    const throwing = new Coalescer<number, number>(() => {
      throw new Error('bad input');
    }, { maxBatch: 10, maxInFlight: 1 });
    await expect(throwing.run(1)).rejects.toThrow('bad input');
    const short = new Coalescer<number, number>(async () => [], { maxBatch: 10, maxInFlight: 1 });
    await expect(short.run(1)).rejects.toThrow('a flush of 1 calls answered 0');
  });

  it('refuses limits below 1', () => {
    expect(() => new Coalescer(async () => [], { maxBatch: 0, maxInFlight: 1 })).toThrow(RangeError);
    expect(() => new Coalescer(async () => [], { maxBatch: 1, maxInFlight: 0 })).toThrow(RangeError);
  });
});
