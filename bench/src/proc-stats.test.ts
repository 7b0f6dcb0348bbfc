import { describe, expect, it } from 'vitest';
import { parseProcStat, sampleProcess } from './proc-stats.js';

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
