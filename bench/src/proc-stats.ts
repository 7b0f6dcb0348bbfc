import { readFileSync } from 'node:fs';

/** Linux reports CPU time in clock ticks; 100 per second on every mainstream kernel build. */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  /** CPU seconds used so far, user + system. */
  cpuSeconds: number;
  rssBytes: number;
}

/**
 * Parses /proc/<pid>/stat: the command name (field 2) may hold spaces and parentheses, so
 * fields are counted from the last ')'. utime and stime are fields 14 and 15, rss (in pages)
 * is field 24.
 */
export function parseProcStat(line: string, pageSize = 4096): ProcessSample {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n sits at fields[n - 3].
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: Number(fields[21]) * pageSize };
}

/** CPU and memory of a live process, or undefined once it is gone (or off Linux). */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface ProcessUsage {
  cpuSeconds: number;
  cpuCores: number;
  /** Peak resident memory over the phase. */
  rssMiB?: number;
  /** Resident memory when the phase started and when it ended: flat memory shows here. */
  rssStartMiB?: number;
  rssEndMiB?: number;
  /**
   * Peak resident memory in each tenth of the phase: a leak climbs from one tenth to the next,
   * while a garbage collector's sawtooth only makes single tenths stand out.
   */
  rssTenthsMiB?: number[];
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** The highest value in each tenth of the time span of `samples` (time, value). */
export function peaksByTenth(samples: ReadonlyArray<readonly [number, number]>): number[] {
  if (samples.length === 0) return [];
  const from = samples[0]![0];
  const span = samples.at(-1)![0] - from || 1;
  const peaks: number[] = [];
  for (const [time, value] of samples) {
    const tenth = Math.min(9, Math.floor(((time - from) / span) * 10));
    peaks[tenth] = Math.max(peaks[tenth] ?? 0, value);
  }
  for (let tenth = 1; tenth < peaks.length; tenth++) peaks[tenth] ??= peaks[tenth - 1]!;
  return peaks;
}

/** Name → pid of the processes to watch; one that failed to start has no pid and is left out. */
export function pidsByName(processes: ReadonlyArray<{ name: string; pid: number | undefined }>): Map<string, number> {
  return new Map(processes.flatMap(({ name, pid }) => (pid === undefined ? [] : [[name, pid] as const])));
}

/** Watches processes over one phase: CPU used between start and stop, and RSS over time. */
export class ProcessWatch {
  #start = new Map<string, ProcessSample>();
  #rss = new Map<string, Array<[number, number]>>();
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  start(): void {
    this.#startedAt = performance.now();
    for (const [name, pid] of this.pids) {
      const sample = sampleProcess(pid);
      if (sample) this.#start.set(name, sample);
    }
    this.#timer = setInterval(() => this.#sampleRss(), 500);
  }

  /** Per process: CPU seconds used over the phase, the same as a share of one core (1 = one core busy), peak RSS. */
  stop(): Record<string, ProcessUsage> {
    clearInterval(this.#timer);
    this.#sampleRss();
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const result: Record<string, ProcessUsage> = {};
    for (const [name, pid] of this.pids) {
      const first = this.#start.get(name);
      const last = sampleProcess(pid);
      if (!first || !last) continue;
      const cpuSeconds = last.cpuSeconds - first.cpuSeconds;
      result[name] = {
        cpuSeconds,
        cpuCores: Math.round((cpuSeconds / seconds) * 100) / 100,
        rssMiB: mib(Math.max(last.rssBytes, ...(this.#rss.get(name) ?? []).map(([, rss]) => rss))),
        rssStartMiB: mib(first.rssBytes),
        rssEndMiB: mib(last.rssBytes),
        rssTenthsMiB: peaksByTenth(this.#rss.get(name) ?? []).map(mib),
      };
    }
    return result;
  }

  #sampleRss(): void {
    const now = performance.now();
    for (const [name, pid] of this.pids) {
      const sample = sampleProcess(pid);
      if (!sample) continue;
      const samples = this.#rss.get(name) ?? [];
      samples.push([now, sample.rssBytes]);
      this.#rss.set(name, samples);
    }
  }
}
