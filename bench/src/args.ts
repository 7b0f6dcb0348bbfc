import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What one `npm run bench` run does; every field has a default, `--quick` shrinks them. */
export interface BenchOptions {
  quick: boolean;
  /** Worker processes of the pipeline. */
  workers: number;
  /** Closed-loop run: connections, each sending its next request as soon as the last answers. */
  connections: number;
  /** Seconds of the closed-loop run (0 skips it). */
  closedSeconds: number;
  /** Paced (open-loop) runs, messages per second, one run each. */
  rates: number[];
  /** Seconds of each paced run. */
  rateSeconds: number;
  /** Seconds of the plain-BullMQ baseline (0 skips it). */
  baselineSeconds: number;
  /** Seconds of the closed loop against the minimal reference pipeline (0 skips the reference). */
  referenceSeconds: number;
  /** A paced run against the reference at this rate, messages/s (0 skips it). */
  referenceRate: number;
  /**
   * A paced run at this light rate, messages/s, on the pipeline as configured and then on one
   * with ENQUEUE_BATCH_MAX=1 (a job per message), to compare their latencies (0 skips both).
   */
  idleRate: number;
  /** Seconds of each of those two runs. */
  idleSeconds: number;
  /** Distinct client addresses (127.1.x.y, see http-load.ts) the load comes from. */
  clientIps: number;
  /** Write V8 CPU profiles of the API and workers (node --cpu-prof) into this folder. */
  cpuProfileDir: string | undefined;
  /** Where the JSON result goes. */
  resultsDir: string;
}

export const USAGE = `npm run bench -- [options]
  --quick                a short run (under 30 s): fewer, shorter phases
  --workers N            worker processes (default 1)
  --connections C        closed-loop connections (default 64)
  --duration S           seconds of the closed-loop run (default 20; 0 skips it)
  --rate R[,R…]          paced runs at these messages/s (default 2000,5000,8000,10000; 0 skips them)
  --rate-duration S      seconds of each paced run (default 10)
  --baseline-duration S  seconds of the plain BullMQ baseline (default 15; 0 skips it)
  --reference-duration S seconds of the minimal reference pipeline's closed loop (default 10; 0 skips the reference)
  --reference-rate R     and one paced run of it at R messages/s (default 5000; 0 skips it)
  --idle-rate R          a light paced run at R messages/s, batched and with ENQUEUE_BATCH_MAX=1 (default 200; 0 skips it)
  --idle-duration S      seconds of each of those two runs (default 10)
  --ips N                client addresses the load comes from (default 100, at most 60000)
  --cpu-prof DIR         write CPU profiles of the API and workers to DIR
  --out DIR              where the JSON result goes (default bench/results)
Uses REDIS_URL when set, else starts its own redis-server.`;

const FULL: Omit<BenchOptions, 'resultsDir' | 'cpuProfileDir'> = {
  quick: false,
  workers: 1,
  connections: 64,
  closedSeconds: 20,
  rates: [2000, 5000, 8000, 10000],
  rateSeconds: 10,
  baselineSeconds: 15,
  referenceSeconds: 10,
  referenceRate: 5000,
  idleRate: 200,
  idleSeconds: 10,
  clientIps: 100,
};

const QUICK: Partial<BenchOptions> = { quick: true, closedSeconds: 4, rates: [2000, 5000], rateSeconds: 3, baselineSeconds: 3, referenceSeconds: 3, idleSeconds: 4 };

export class UsageError extends Error {}

function count(flag: string, raw: string | undefined, min: number, max: number): number {
  const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${raw ?? 'nothing'}`);
  return value;
}

/** The flags that take a whole number: the option each sets and its bounds. */
const COUNTS = {
  workers: ['workers', 1, 16],
  connections: ['connections', 1, 4096],
  duration: ['closedSeconds', 0, 3600],
  'rate-duration': ['rateSeconds', 1, 3600],
  'baseline-duration': ['baselineSeconds', 0, 3600],
  'reference-duration': ['referenceSeconds', 0, 3600],
  'reference-rate': ['referenceRate', 0, 1_000_000],
  'idle-rate': ['idleRate', 0, 1_000_000],
  'idle-duration': ['idleSeconds', 1, 3600],
  ips: ['clientIps', 1, 60_000],
} as const satisfies Record<string, [keyof BenchOptions, number, number]>;

const FLAGS = {
  ...(Object.fromEntries(Object.keys(COUNTS).map((flag) => [flag, { type: 'string' }])) as Record<keyof typeof COUNTS, { type: 'string' }>),
  quick: { type: 'boolean' },
  rate: { type: 'string' },
  'cpu-prof': { type: 'string' },
  out: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Parses the arguments after `npm run bench --` (node:util parseArgs); throws UsageError on anything unknown or bad. */
export function parseBenchArgs(argv: readonly string[], defaultResultsDir: string): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options: BenchOptions = { ...FULL, ...(values.quick ? QUICK : {}), resultsDir: values.out ?? defaultResultsDir, cpuProfileDir: values['cpu-prof'] };
  for (const [flag, [field, min, max]] of Object.entries(COUNTS) as Array<[keyof typeof COUNTS, (typeof COUNTS)[keyof typeof COUNTS]]>) {
    const raw = values[flag];
    if (raw !== undefined) options[field] = count(`--${flag}`, raw, min, max);
  }
  if (values.rate !== undefined) {
    options.rates = values.rate
      .split(',')
      .map((rate) => count('--rate', rate.trim(), 0, 1_000_000))
      .filter((rate) => rate > 0);
  }
  return options;
}
