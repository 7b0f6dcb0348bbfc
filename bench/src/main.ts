/**
 * npm run bench: the real pipeline (built API + workers, own Redis) under closed-loop and
 * paced load from many client addresses, then plain BullMQ on the same Redis as the baseline.
 * See bench/README.md for how to read the figures.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RedisServer } from '@msgpipe/redis-server';
import { repoRoot } from '@msgpipe/testkit/processes';
import { Redis } from 'ioredis';
import { parseBenchArgs, USAGE, UsageError, type BenchOptions } from './args.js';
import { runBaseline } from './baseline.js';
import { CompletionWatcher } from './completions.js';
import { closedLoop, HttpClients, pacedLoad } from './http-load.js';
import { runPhase, type PhaseContext, type PhaseResult } from './phase.js';
import { PipelineProcesses, type EnqueueCounts } from './pipeline-processes.js';
import { ReferenceProcesses } from './reference/processes.js';
import { deletePrefix, historyFootprint, usedMemory } from './redis-probe.js';
import { formatReport, writeResult, type BenchResult } from './report.js';

const MiB = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** Processes under load: the pipeline, or the reference. */
interface LoadTarget {
  baseUrl: string;
  pids: ReadonlyMap<string, number>;
  enqueueCounts?(): Promise<EnqueueCounts>;
  stop(): Promise<void>;
}

/** Points the bench's clients and a completions watcher at `target`, and stops it all after `run`. */
async function underLoad<T>(
  target: LoadTarget,
  { options, redis, redisUrl, prefix }: { options: BenchOptions; redis: Redis; redisUrl: string; prefix: string },
  run: (context: PhaseContext, clients: HttpClients) => Promise<T>,
): Promise<T> {
  try {
    const watcher = await CompletionWatcher.start(redisUrl, prefix);
    // Enough sockets per address for the closed loop's connections, and for paced bursts.
    const clients = new HttpClients(target.baseUrl, options.clientIps, Math.max(2, Math.ceil(options.connections / options.clientIps)));
    try {
      const enqueueCounts = target.enqueueCounts && (() => target.enqueueCounts!());
      return await run({ redis, watcher, pids: target.pids, drainTimeoutMs: options.quick ? 5_000 : 30_000, enqueueCounts }, clients);
    } finally {
      clients.close();
      watcher.close();
    }
  } finally {
    await target.stop();
  }
}

const warmUp = (context: PhaseContext, clients: HttpClients, options: BenchOptions) =>
  runPhase(context, 'warm-up', null, (message) => closedLoop(clients, options.connections, options.quick ? 1 : 3, message));

async function runPipeline(options: BenchOptions, redis: Redis, redisUrl: string, prefix: string) {
  const pipeline = await PipelineProcesses.start({ redisUrl, prefix, workers: options.workers, cpuProfileDir: options.cpuProfileDir });
  return underLoad(pipeline, { options, redis, redisUrl, prefix }, async (context, clients) => {
    const phases: PhaseResult[] = [];
    const usedBefore = await usedMemory(redis);
    log('warming up');
    const warmedUp = await warmUp(context, clients, options);
    if (options.closedSeconds > 0) {
      log(`closed loop, ${options.connections} connections, ${options.closedSeconds} s`);
      phases.push(
        await runPhase(context, `closed ${options.connections} conns`, null, (message) =>
          closedLoop(clients, options.connections, options.closedSeconds, message),
        ),
      );
    }
    for (const rate of options.rates) {
      log(`paced, ${rate}/s, ${options.rateSeconds} s`);
      phases.push(await runPhase(context, `paced ${rate}/s`, rate, (message) => pacedLoad(clients, rate, options.rateSeconds, message)));
    }
    if (options.idleRate > 0) {
      log(`idle, ${options.idleRate}/s, ${options.idleSeconds} s`);
      phases.push(await idlePhase(context, clients, options, `idle ${options.idleRate}/s`));
    }
    const redisMemory = {
      usedBeforeMiB: MiB(usedBefore),
      usedAfterMiB: MiB(await usedMemory(redis)),
      messages: warmedUp.accepted + phases.reduce((sum, phase) => sum + phase.accepted, 0),
      history: await historyFootprint(redis, prefix),
    };
    return { phases, redisMemory };
  });
}

const idlePhase = (context: PhaseContext, clients: HttpClients, options: BenchOptions, name: string) =>
  runPhase(context, name, options.idleRate, (message) => pacedLoad(clients, options.idleRate, options.idleSeconds, message));

/**
 * The idle run again on a pipeline that sends every message as a job of its own
 * (ENQUEUE_BATCH_MAX=1), for the latencies group commit must not worsen when there is nothing
 * to group.
 */
async function runIdleOneByOne(options: BenchOptions, redis: Redis, redisUrl: string, prefix: string): Promise<PhaseResult> {
  const pipeline = await PipelineProcesses.start({ redisUrl, prefix, workers: options.workers, cpuProfileDir: undefined, env: { ENQUEUE_BATCH_MAX: '1' } });
  return underLoad(pipeline, { options, redis, redisUrl, prefix }, async (context, clients) => {
    await warmUp(context, clients, options);
    return idlePhase(context, clients, options, `idle ${options.idleRate}/s, ENQUEUE_BATCH_MAX=1`);
  });
}

/** The minimal reference pipeline (reference/) under the same closed loop and one paced rate, on the same Redis. */
async function runReference(options: BenchOptions, redis: Redis, redisUrl: string, prefix: string): Promise<PhaseResult[]> {
  const reference = await ReferenceProcesses.start(redisUrl, prefix);
  return underLoad(reference, { options, redis, redisUrl, prefix }, async (context, clients) => {
    await warmUp(context, clients, options);
    const phases = [
      await runPhase(context, `closed ${options.connections} conns`, null, (message) =>
        closedLoop(clients, options.connections, options.referenceSeconds, message),
      ),
    ];
    const rate = options.referenceRate;
    if (rate > 0) phases.push(await runPhase(context, `paced ${rate}/s`, rate, (message) => pacedLoad(clients, rate, options.rateSeconds, message)));
    return phases;
  });
}

async function main(): Promise<void> {
  let options: BenchOptions;
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    options = parseBenchArgs(process.argv.slice(2), join(repoRoot, 'bench/results'));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(64);
  }
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  const ownRedis = process.env.REDIS_URL ? undefined : await RedisServer.start({ configFile: join(repoRoot, 'deploy/redis.conf') });
  const redisUrl = process.env.REDIS_URL || ownRedis!.url;
  const redis = new Redis(redisUrl, { connectionName: 'msgpipe-bench' });
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const stopping = () => void ownRedis?.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopping);
  try {
    log(`Redis ${redisUrl}${ownRedis ? ' (started by the bench, deploy/redis.conf: AOF everysec)' : ''}, prefix ${prefix}`);
    const { phases, redisMemory } = await runPipeline(options, redis, redisUrl, prefix);
    let idleOneByOne: BenchResult['idleOneByOne'] = null;
    if (options.idleRate > 0) {
      log(`idle, ${options.idleRate}/s, ${options.idleSeconds} s, with ENQUEUE_BATCH_MAX=1`);
      idleOneByOne = await runIdleOneByOne(options, redis, redisUrl, `${prefix}-one-by-one`);
    }
    let reference: BenchResult['reference'] = [];
    if (options.referenceSeconds > 0) {
      log(`reference pipeline: closed loop ${options.referenceSeconds} s${options.referenceRate ? `, paced ${options.referenceRate}/s` : ''}`);
      reference = await runReference(options, redis, redisUrl, `${prefix}:reference`);
    }
    let baseline: BenchResult['baseline'] = null;
    if (options.baselineSeconds > 0) {
      log(`baseline, ${options.baselineSeconds} s`);
      baseline = await runBaseline(redisUrl, `${prefix}:baseline`, options.connections, options.baselineSeconds);
    }
    const best = Math.max(0, ...phases.map((phase) => phase.completedPerSecond));
    const ratio = (reference: number | undefined) => (reference && best ? Math.round((best / reference) * 100) / 100 : null);
    const result: BenchResult = {
      startedAt,
      options,
      environment: {
        node: process.version,
        cpus: cpus().length,
        loadAverageAtStart,
        redisVersion: String(/redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown'),
        redisStartedByBench: ownRedis !== undefined,
      },
      phases,
      idleOneByOne,
      baseline,
      reference,
      pipelineOverBaseline: ratio(baseline?.completedPerSecond),
      pipelineOverReference: ratio(Math.max(0, ...reference.map((phase) => phase.completedPerSecond))),
      redisMemory,
    };
    process.stdout.write(`${formatReport(result)}\n`);
    log(`wrote ${writeResult(result, options.resultsDir)}`);
  } finally {
    if (!ownRedis) for (const own of [prefix, `${prefix}-one-by-one`]) await deletePrefix(redis, own);
    redis.disconnect();
    await ownRedis?.stop();
  }
}

await main();
