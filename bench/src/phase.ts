import type { Redis } from 'ioredis';
import { benchMessage, type CompletionWatcher } from './completions.js';
import type { EnqueueCounts } from './pipeline-processes.js';
import type { HttpResult } from './http-load.js';
import type { LatencySummary } from './latency.js';
import { ProcessWatch, type ProcessUsage } from './proc-stats.js';
import { redisCpuSeconds } from './redis-probe.js';

export interface PhaseResult {
  name: string;
  /** Paced runs: the rate asked for, messages/s. */
  targetRate: number | null;
  seconds: number;
  sent: number;
  accepted: number;
  refused: Record<string, number>;
  acceptedPerSecond: number;
  /** Messages finished (in the history) during the load itself, per second: sustained throughput. */
  completedPerSecond: number;
  /**
   * Redis CPU ms per finished message, from the phase's start until its backlog drained: all of
   * each message's Redis work, however far behind the workers were (null: it did not drain).
   */
  redisMsPerFinishedMessage: number | null;
  /** Messages per BullMQ job the API enqueued during the phase (pipeline only). */
  messagesPerJob?: number;
  /** Accepted but not finished when the load stopped. */
  backlogAtEnd: number;
  /** How long the backlog took to finish after the load stopped (null: it did not, in time). */
  drainSeconds: number | null;
  failed: number;
  httpLatencyMs: LatencySummary;
  endToEndMs: LatencySummary;
  /**
   * Per process: CPU in cores (1 = one core busy), CPU milliseconds per accepted message (the
   * least noisy figure on a shared machine: it does not depend on who else gets the cores),
   * and peak RSS over the load.
   */
  processes: Record<string, Omit<ProcessUsage, 'cpuSeconds'> & { cpuMsPerMessage: number }>;
}

export interface PhaseContext {
  redis: Redis;
  watcher: CompletionWatcher;
  pids: ReadonlyMap<string, number>;
  drainTimeoutMs: number;
  /** The API's enqueue figures so far, where it reports them (the pipeline, not the reference). */
  enqueueCounts?: () => Promise<EnqueueCounts>;
}

let phases = 0;

/** Runs one load against the pipeline and measures it from the client, the history and /proc. */
export async function runPhase(
  { redis, watcher, pids, drainTimeoutMs, enqueueCounts }: PhaseContext,
  name: string,
  targetRate: number | null,
  load: (message: (n: number) => string) => Promise<HttpResult>,
): Promise<PhaseResult> {
  const tag = `p${++phases}`;
  const completions = watcher.track(tag);
  const watch = new ProcessWatch(new Map([...pids, ['bench (load)', process.pid]]));
  const redisCpuBefore = await redisCpuSeconds(redis);
  const enqueuedBefore = await enqueueCounts?.();
  watch.start();
  const started = performance.now();
  const http = await load(benchMessage(tag));
  const loadSeconds = (performance.now() - started) / 1000;
  const usage: Record<string, ProcessUsage> = watch.stop();
  const enqueuedAfter = await enqueueCounts?.();
  const redisCpu = (await redisCpuSeconds(redis)) - redisCpuBefore;
  usage.redis = { cpuSeconds: redisCpu, cpuCores: Math.round((redisCpu / loadSeconds) * 100) / 100 };
  const processes: PhaseResult['processes'] = {};
  for (const [name, { cpuSeconds, ...figures }] of Object.entries(usage)) {
    const msPerMessage = http.accepted ? (cpuSeconds * 1000) / http.accepted : NaN;
    processes[name] = { ...figures, cpuMsPerMessage: Math.round(msPerMessage * 1000) / 1000 };
  }
  const finishedInWindow = completions.completed + completions.failed;

  const drainStarted = performance.now();
  let drainSeconds: number | null = 0;
  while (completions.completed + completions.failed < http.accepted) {
    if (performance.now() - drainStarted > drainTimeoutMs) {
      drainSeconds = null;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    drainSeconds = (performance.now() - drainStarted) / 1000;
  }

  const finished = completions.completed + completions.failed;
  const redisCpuToDrained = (await redisCpuSeconds(redis)) - redisCpuBefore;
  const jobs = enqueuedBefore && enqueuedAfter ? enqueuedAfter.jobs - enqueuedBefore.jobs : 0;
  return {
    name,
    targetRate,
    ...(jobs > 0 ? { messagesPerJob: Math.round(((enqueuedAfter!.messages - enqueuedBefore!.messages) / jobs) * 10) / 10 } : {}),
    seconds: Math.round(loadSeconds * 10) / 10,
    sent: http.sent,
    accepted: http.accepted,
    refused: http.refused,
    acceptedPerSecond: Math.round(http.accepted / loadSeconds),
    completedPerSecond: Math.round(finishedInWindow / loadSeconds),
    backlogAtEnd: Math.max(0, http.accepted - finishedInWindow),
    drainSeconds: drainSeconds === null ? null : Math.round(drainSeconds * 10) / 10,
    failed: completions.failed,
    redisMsPerFinishedMessage: drainSeconds === null || !finished ? null : Math.round(((redisCpuToDrained * 1000) / finished) * 1000) / 1000,
    httpLatencyMs: http.latency.summary(),
    endToEndMs: completions.endToEnd.summary(),
    processes,
  };
}
