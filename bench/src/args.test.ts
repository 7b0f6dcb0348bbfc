import { describe, expect, it } from 'vitest';
import { parseBenchArgs, UsageError } from './args.js';

describe('parseArgs', () => {
  it('defaults to the full run, and --quick shortens every phase', () => {
    const full = parseBenchArgs([], '/results');
    expect(full).toMatchObject({ quick: false, workers: 1, connections: 64, closedSeconds: 20, rates: [2000, 5000, 8000, 10000], resultsDir: '/results' });
    const quick = parseBenchArgs(['--quick'], '/results');
    expect(quick.quick).toBe(true);
    expect(quick.closedSeconds).toBeLessThan(full.closedSeconds);
    expect(quick.rates.length * quick.rateSeconds).toBeLessThan(full.rates.length * full.rateSeconds);
    expect(quick.baselineSeconds).toBeLessThan(full.baselineSeconds);
    expect(quick.referenceSeconds).toBeLessThan(full.referenceSeconds);
  });

  it('reads values, whatever their order relative to --quick', () => {
    const options = parseBenchArgs(['--workers', '2', '--rate', '3000, 7000', '--quick', '--connections', '128', '--cpu-prof', 'prof', '--out', 'x'], '/r');
    expect(options).toMatchObject({ quick: true, workers: 2, rates: [3000, 7000], connections: 128, cpuProfileDir: 'prof', resultsDir: 'x' });
    expect(parseBenchArgs(['--rate', '0'], '/r').rates).toEqual([]);
    expect(parseBenchArgs(['--reference-duration', '0'], '/r').referenceSeconds).toBe(0);
  });

  it.each([[['--workers']], [['--workers', '0']], [['--workers', 'two']], [['--connections', '1.5']], [['--fast']], [['--rate', '1000,x']]])(
    'refuses %j',
    (argv) => {
      expect(() => parseBenchArgs(argv, '/r')).toThrow(UsageError);
    },
  );
});
