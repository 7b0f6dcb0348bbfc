import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '@msgpipe/redis-server';
import { isBatchJob, queueName, queuePrefix, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import { asAdmin, parsePrometheusText, request, samplesOf, startPipeline, uniquePrefix, type NodeProcess, type Pipeline } from '@msgpipe/testkit';
import { expect } from 'vitest';
import { Auditor } from '../audit.js';

/** Above any one IP's share of a fault test's load, so the audit sees every entry. */
export const HISTORY_MAX_ENTRIES = 1000;

/**
 * How the API grouped messages into jobs (its msgpipe_enqueue_messages_per_job histogram):
 * what tells a fault test its load really went in batches (format 2), not one job per message.
 */
export interface Grouping {
  messages: number;
  jobs: number;
  /** Messages that went in a job with others. */
  batched: number;
  /** Jobs that carried more than one message. */
  batches: number;
}

/** What the API grouped between two readings of the same process (`before` read first). */
export function groupingSince(now: Grouping, before: Grouping): Grouping {
  return { messages: now.messages - before.messages, jobs: now.jobs - before.jobs, batched: now.batched - before.batched, batches: now.batches - before.batches };
}

/** One line for the test log, e.g. `1000 messages in 140 jobs (7.1 per job; 900 in 40 batches)`. */
export function describeGrouping({ messages, jobs, batched, batches }: Grouping): string {
  return `${messages} messages in ${jobs} jobs (${(messages / Math.max(jobs, 1)).toFixed(1)} per job; ${batched} in ${batches} batches)`;
}

/** Message ids by client IP, as the auditor takes them. */
export function idsByIp(messages: readonly MessageJob[]): Map<string, string[]> {
  const byIp = new Map<string, string[]>();
  for (const { ip, id } of messages) byIp.set(ip, [...(byIp.get(ip) ?? []), id]);
  return byIp;
}

/**
 * Asserts that batches were in flight: several jobs of more than one message. How many of the
 * messages go in batches depends on how the requests happen to arrive (half and more of them
 * in most runs, with LoadOptions.burst; 15 % in one run of the maxmemory test, whose API
 * refuses most requests at once), so the test asks only that the fault met batches.
 */
/** Batches a fault must meet, at the least. */
const MIN_BATCHES = 2;

export function expectBatched(grouping: Grouping, when: string): void {
  expect(grouping.batches, `batches ${when}: ${describeGrouping(grouping)}`).toBeGreaterThanOrEqual(MIN_BATCHES);
}

export interface RigOptions {
  label: string;
  /** redis-server settings, e.g. appendonly. */
  redisSettings?: Record<string, string>;
  /** Environment for the API and workers on top of the rig's own. */
  env?: Record<string, string>;
  workers?: number;
  /** Give every worker a WORKER_METRICS_PORT of its own (see Pipeline.metricsUrlOf). */
  workerMetrics?: boolean;
}

/**
 * One fault test's world: a redis-server of its own (own port and data directory, so it can
 * be killed and started again on both), the built API and workers on it, and an auditor.
 */
export class FaultRig {
  readonly #dir = mkdtempSync(join(tmpdir(), 'msgpipe-faults-'));
  #redis: RedisServer | undefined;
  #pipeline: Pipeline | undefined;
  #auditor: Auditor | undefined;

  private constructor(private readonly options: RigOptions) {}

  static async start(options: RigOptions): Promise<FaultRig> {
    const rig = new FaultRig(options);
    try {
      await rig.#start();
    } catch (error) {
      await rig.stop();
      throw error;
    }
    return rig;
  }

  async #start(): Promise<void> {
    this.#redis = await RedisServer.start({ dir: this.#dir, settings: this.options.redisSettings });
    const prefix = uniquePrefix(`faults-${this.options.label}`);
    this.#auditor = new Auditor(this.#redis.url, prefix, HISTORY_MAX_ENTRIES);
    this.#pipeline = await startPipeline({
      redis: this.#redis,
      workers: this.options.workers ?? 1,
      workerMetrics: this.options.workerMetrics,
      env: {
        REDIS_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: '0',
        HISTORY_MAX_ENTRIES: String(HISTORY_MAX_ENTRIES),
        WORKER_CONCURRENCY: '20',
        // A dead worker's jobs run again once their lock expires: keep that short here.
        JOB_LOCK_MS: '2000',
        ...this.options.env,
      },
    });
  }

  get redis(): RedisServer {
    return this.#redis!;
  }

  get pipeline(): Pipeline {
    return this.#pipeline!;
  }

  get auditor(): Auditor {
    return this.#auditor!;
  }

  get baseUrl(): string {
    return this.pipeline.baseUrl;
  }

  get api(): NodeProcess {
    return this.pipeline.api;
  }

  get workers(): readonly NodeProcess[] {
    return this.pipeline.workers;
  }

  /** Every process the rig started, restarted ones included. */
  get processes(): readonly NodeProcess[] {
    return this.pipeline.processes;
  }

  /**
   * How the API process now serving baseUrl has grouped messages into jobs since it started:
   * its histogram starts from zero again when the API is restarted. Needs Redis (the scrape reads the queue).
   */
  async grouping(): Promise<Grouping> {
    const response = await request(this.baseUrl, '/metrics', { headers: asAdmin });
    if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${response.text.slice(0, 200)}`);
    const metrics = parsePrometheusText(response.text);
    const value = (suffix: string, labels?: Record<string, string>) => samplesOf(metrics, `msgpipe_enqueue_messages_per_job_${suffix}`, labels)[0]?.value ?? 0;
    const [messages, jobs, alone] = [value('sum'), value('count'), value('bucket', { le: '1' })];
    return { messages, jobs, batched: messages - alone, batches: jobs - alone };
  }

  /**
   * The messages each job carries, in order: its own (format 1) or its batch's (format 2); none
   * once the job is gone. The rig runs one queue partition.
   */
  async messagesOfJobs(jobIds: Iterable<string>): Promise<MessageJob[][]> {
    const key = (id: string) => `${queuePrefix(this.pipeline.prefix, 0)}:${queueName(0)}:${id}`;
    const data = await Promise.all([...jobIds].map((id) => this.auditor.redis.hget(key(id), 'data')));
    return data.map((raw) => {
      if (!raw) return [];
      const job = JSON.parse(raw) as MessageJobData;
      return isBatchJob(job) ? job.messages : [job];
    });
  }

  /** The messages of each job in the active list (more than one: a batch). */
  async activeJobMessages(): Promise<MessageJob[][]> {
    return this.messagesOfJobs((await this.auditor.activeJobs()).keys());
  }

  /** Starts redis-server again on the same port and data directory (after a kill or stop). */
  async restartRedis(): Promise<void> {
    await this.redis.exited;
    this.#redis = await RedisServer.start({ port: this.redis.port, dir: this.#dir, settings: this.options.redisSettings });
  }

  async stop(): Promise<void> {
    this.#auditor?.close();
    await this.#pipeline?.kill();
    await this.#redis?.stop(2000);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
