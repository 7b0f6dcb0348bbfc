import { describe, expect, it } from 'vitest';
import { parseProcStat, peaksByTenth, sampleProcess } from './proc-stats.js';

describe('parseProcStat', () => {
  it('reads utime + stime and rss, even when the command name holds spaces and parentheses', () => {
    const line = '4294 (node (api) x) S 1 4294 4294 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 900 1000000 2048 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    expect(parseProcStat(line)).toEqual({ cpuSeconds: 3.25, rssBytes: 2048 * 4096 });
  });

  it('samples this very process from /proc', () => {
    const sample = sampleProcess(process.pid);
    expect(sample?.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(sample!.rssBytes).toBeLessThan(process.memoryUsage().rss * 2);
    expect(sample?.cpuSeconds).toBeGreaterThan(0);
  });
});

describe('peaksByTenth', () => {
  it('gives the highest value of each tenth of the span, carrying the last one over empty tenths', () => {
    const samples: Array<[number, number]> = [
      [0, 5],
      [5, 9],
      [12, 4],
      [55, 7],
      [99, 6],
      [100, 8],
    ];
    expect(peaksByTenth(samples)).toEqual([9, 4, 4, 4, 4, 7, 7, 7, 7, 8]);
    expect(peaksByTenth([])).toEqual([]);
    expect(peaksByTenth([[3, 1]])).toEqual([1]);
  });
});
