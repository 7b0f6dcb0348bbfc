import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { MESSAGE_JOB_OPTIONS } from '@msgpipe/shared';
import { LatencySamples, type LatencySummary } from './latency.js';
import { ProcessWatch, type ProcessUsage } from './proc-stats.js';
import { redisCpuSeconds } from './redis-probe.js';

const QUEUE = 'baseline';

export interface BaselineResult {
  seconds: number;
  addedPerSecond: number;
  completedPerSecond: number;
  addLatencyMs: LatencySummary;
  /** Per process: CPU in cores, CPU ms per completed job, peak RSS. */
  cpu: Record<string, { cpuCores: number; cpuMsPerJob: number; rssMiB?: number }>;
}

function ask(child: ChildProcess, request: object): Promise<{ completed: number }> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as { completed: number }));
    child.send(request);
  });
}

/**
 * The reference the pipeline is held against, on the same Redis: plain BullMQ `Queue.add`
 * from this process (`inFlight` adds at once, closed loop) and a no-op Worker with
 * concurrency 50 in a process of its own. Jobs carry the pipeline's payload and retention.
 */
export async function runBaseline(redisUrl: string, prefix: string, inFlight: number, seconds: number): Promise<BaselineResult> {
  const script = fileURLToPath(new URL('./baseline-worker.js', import.meta.url));
  const child = fork(script, [redisUrl, prefix, QUEUE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`baseline worker exited (${code}) before it was ready`)));
  });
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: 'msgpipe-bench-baseline-producer' });
  const queue = new Queue(QUEUE, { connection, prefix, defaultJobOptions: { removeOnComplete: MESSAGE_JOB_OPTIONS.removeOnComplete } });
  await queue.waitUntilReady();
  try {
    let added = 0;
    /** Closed loop of `inFlight` adds for `seconds`; their latencies go to `latency`. */
    const addFor = (seconds: number, latency?: LatencySamples) => {
      const end = performance.now() + seconds * 1000;
      return Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (performance.now() < end) {
            const sentAt = performance.now();
            await queue.add('message', { id: `b${added}`, ip: '127.0.1.1', message: `hello from the baseline ${added}`, sendTime: new Date().toISOString() });
            added++;
            latency?.add(performance.now() - sentAt);
          }
        }),
      );
    };
    // Warm up as the pipeline does (JIT, connections), then let the worker catch up.
    await addFor(Math.min(3, seconds / 3));
    const caughtUpBy = performance.now() + 10_000;
    while ((await ask(child, { count: true })).completed < added && performance.now() < caughtUpBy) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const watch = new ProcessWatch(new Map([['baseline-worker', child.pid ?? -1], ['bench (producer)', process.pid]]));
    const redisCpuBefore = await redisCpuSeconds(connection);
    const latency = new LatencySamples();
    const completedBefore = (await ask(child, { count: true })).completed;
    added = 0;
    watch.start();
    const started = performance.now();
    await addFor(seconds, latency);
    const completed = (await ask(child, { count: true })).completed - completedBefore;
    const elapsed = (performance.now() - started) / 1000;
    const usage: Record<string, ProcessUsage> = watch.stop();
    const redisCpu = (await redisCpuSeconds(connection)) - redisCpuBefore;
    usage.redis = { cpuSeconds: redisCpu, cpuCores: Math.round((redisCpu / elapsed) * 100) / 100 };
    const cpu: BaselineResult['cpu'] = {};
    for (const [name, { cpuSeconds, ...figures }] of Object.entries(usage)) {
      cpu[name] = { ...figures, cpuMsPerJob: completed ? Math.round(((cpuSeconds * 1000) / completed) * 1000) / 1000 : NaN };
    }
    return {
      seconds: Math.round(elapsed * 10) / 10,
      addedPerSecond: Math.round(added / elapsed),
      completedPerSecond: Math.round(completed / elapsed),
      addLatencyMs: latency.summary(),
      cpu,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ stop: true });
    await exited;
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}
