import {
  BATCH_FORMAT,
  createLogger,
  createRedis,
  HistoryStore,
  KeySchema,
  loadConfig,
  MESSAGE_JOB_NAME,
  openMessageQueue,
  StatsStore,
  type BatchJob,
  type Config,
  type HistoryEntry,
  type MessageJob,
  type MessageJobData,
  type RedisClient,
} from '@msgpipe/shared';
import { parsePrometheusText, samplesOf, testRedisUrl, uniquePrefix, waitFor } from '@msgpipe/testkit';
import type { JobsOptions, JobState, Queue } from 'bullmq';
import { afterEach } from 'vitest';
import { createWorker, type MessageWorker, type WorkerDeps } from './worker.js';

export const silentLogger = createLogger({ name: 'worker-test', level: 'silent', pretty: false });

/** Call at a test file's top: a fresh Pipeline per test (`env` on top of the test Redis), closed after it. */
export function pipelinePerTest(): (env?: Record<string, string>) => Pipeline {
  let current: Pipeline | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return (env = {}) => (current = new Pipeline(env));
}

/**
 * A worker on the test Redis with a prefix of its own, the queues the API would fill (one per
 * QUEUE_PARTITIONS), and readers for what the worker wrote: the pieces of a pipeline without
 * the HTTP API.
 */
export class Pipeline {
  readonly config: Config;
  readonly connection: RedisClient;
  readonly keys: KeySchema;
  /** One queue per partition, indexed by partition number. */
  readonly queues: readonly Queue<MessageJob>[];
  readonly history: HistoryStore;
  readonly stats: StatsStore;
  worker: MessageWorker | undefined;
  /** The partition each enqueued job went to. */
  readonly #partitionOf = new Map<string, number>();

  constructor(env: Record<string, string> = {}) {
    this.config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('pipeline'), LOG_LEVEL: 'silent', ...env });
    this.connection = createRedis(this.config.redis, 'worker', 'pipeline-test');
    this.keys = new KeySchema(this.config.redis.prefix);
    this.queues = Array.from({ length: this.config.queuePartitions }, (_, partition) =>
      openMessageQueue(this.connection, this.config.redis.prefix, partition),
    );
    this.history = new HistoryStore(this.connection, this.keys);
    this.stats = new StatsStore(this.connection, this.keys, this.config);
  }

  /** Partition 0's queue: the only one unless QUEUE_PARTITIONS says more. */
  get queue(): Queue<MessageJob> {
    return this.queues[0]!;
  }

  startWorker(deps: Partial<Omit<WorkerDeps, 'config' | 'connection'>> = {}): MessageWorker {
    this.worker = createWorker({ config: this.config, connection: this.connection, logger: silentLogger, ...deps });
    return this.worker;
  }

  /** Closes the worker (letting jobs in flight finish, up to SHUTDOWN_TIMEOUT_MS) and forgets it. */
  async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.close();
  }

  async enqueue(message: string, ip = '1.2.3.4', options: JobsOptions = {}, partition = 0): Promise<MessageJob> {
    const job: MessageJob = { id: `job-${Math.random().toString(36).slice(2)}`, ip, message, sendTime: new Date().toISOString() };
    await this.queues[partition]!.add(MESSAGE_JOB_NAME, job, { jobId: job.id, ...options });
    this.#partitionOf.set(job.id, partition);
    return job;
  }

  /**
   * One batch job (format 2) of the given messages, each with an id of its own; the job's id is
   * `batch-…`, as the API would pick it.
   */
  async enqueueBatch(messages: ReadonlyArray<{ message: string; ip: string }>, partition = 0): Promise<{ id: string; messages: MessageJob[] }> {
    const id = `batch-${Math.random().toString(36).slice(2)}`;
    const sendTime = new Date().toISOString();
    const jobs = messages.map(({ message, ip }, index) => ({ id: `${id}-${index}`, ip, message, sendTime }));
    const data: BatchJob = { v: BATCH_FORMAT, messages: jobs };
    await (this.queues[partition] as Queue<MessageJobData>).add(MESSAGE_JOB_NAME, data, { jobId: id });
    this.#partitionOf.set(id, partition);
    for (const job of jobs) this.#partitionOf.set(job.id, partition);
    return { id, messages: jobs };
  }

  /** The queue an enqueued job went to. */
  queueOf(job: Pick<MessageJob, 'id'>): Queue<MessageJob> {
    return this.queues[this.#partitionOf.get(job.id) ?? 0]!;
  }

  async stateOf(job: Pick<MessageJob, 'id'>): Promise<JobState | 'unknown'> {
    return this.queueOf(job).getJobState(job.id);
  }

  /** Waits until the job is completed or failed, and returns which. */
  async finished(job: Pick<MessageJob, 'id'>, timeoutMs?: number): Promise<string> {
    return waitFor(
      `job ${job.id} to finish`,
      async () => {
        const state = await this.stateOf(job);
        return (state === 'completed' || state === 'failed') && state;
      },
      { timeoutMs },
    );
  }

  /** Everything in the IP's history (up to 100 entries), newest first. */
  async historyOf(ip: string): Promise<HistoryEntry[]> {
    return this.history.list(ip, 100);
  }

  async entriesOf(job: MessageJob): Promise<HistoryEntry[]> {
    return (await this.historyOf(job.ip)).filter((entry) => entry.id === job.id);
  }

  /** A worker metric's value (undefined when it has no such sample). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const samples = parsePrometheusText(await this.worker!.metrics.registry.metrics());
    return samplesOf(samples, name, labels)[0]?.value;
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await Promise.all(this.queues.map((queue) => queue.close()));
    this.connection.disconnect();
  }
}
