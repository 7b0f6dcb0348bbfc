import {
  createLogger,
  createRedis,
  HistoryStore,
  KeySchema,
  loadConfig,
  MESSAGE_JOB_NAME,
  MESSAGE_JOB_OPTIONS,
  queueName,
  queuePrefix,
  type Config,
  type HistoryEntry,
  type MessageJob,
  type RedisClient,
} from '@msgpipe/shared';
import { parsePrometheusText, samplesOf, testRedisUrl, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { Queue, type JobsOptions } from 'bullmq';
import { createWorker, type MessageWorker, type WorkerDeps } from './worker.js';

export const silentLogger = createLogger({ name: 'worker-test', level: 'silent', pretty: false });

/**
 * A worker on the test Redis with a prefix of its own, the queue the API would fill, and
 * readers for what the worker wrote: the pieces of a pipeline without the HTTP API.
 */
export class Pipeline {
  readonly config: Config;
  readonly connection: RedisClient;
  readonly keys: KeySchema;
  readonly queue: Queue<MessageJob>;
  readonly history: HistoryStore;
  worker: MessageWorker | undefined;

  constructor(env: Record<string, string> = {}) {
    this.config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('pipeline'), LOG_LEVEL: 'silent', ...env });
    this.connection = createRedis(this.config.redis, 'worker', 'pipeline-test');
    this.keys = new KeySchema(this.config.redis.prefix);
    this.queue = new Queue<MessageJob>(queueName(0), {
      connection: this.connection,
      prefix: queuePrefix(this.config.redis.prefix, 0),
      defaultJobOptions: MESSAGE_JOB_OPTIONS,
    });
    this.history = new HistoryStore(this.connection, this.keys);
  }

  startWorker(deps: Partial<Omit<WorkerDeps, 'config' | 'connection'>> = {}): MessageWorker {
    this.worker = createWorker({ config: this.config, connection: this.connection, logger: silentLogger, ...deps });
    return this.worker;
  }

  async enqueue(message: string, ip = '1.2.3.4', options: JobsOptions = {}): Promise<MessageJob> {
    const job: MessageJob = { id: `job-${Math.random().toString(36).slice(2)}`, ip, message, sendTime: new Date().toISOString() };
    await this.queue.add(MESSAGE_JOB_NAME, job, { jobId: job.id, ...options });
    return job;
  }

  /** Waits until the job is completed or failed, and returns which. */
  async finished(job: MessageJob, timeoutMs = 10_000): Promise<string> {
    return waitFor(
      `job ${job.id} to finish`,
      async () => {
        const state = await this.queue.getJobState(job.id);
        return (state === 'completed' || state === 'failed') && state;
      },
      { timeoutMs },
    );
  }

  async entriesOf(job: MessageJob): Promise<HistoryEntry[]> {
    return (await this.history.list(job.ip, 100)).filter((entry) => entry.id === job.id);
  }

  /** A worker metric's value (undefined when it has no such sample). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const samples = parsePrometheusText(await this.worker!.metrics.registry.metrics());
    return samplesOf(samples, name, labels)[0]?.value;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.connection.disconnect();
  }
}
