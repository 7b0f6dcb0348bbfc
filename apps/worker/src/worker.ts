import { ExchangeRecorder, KeySchema, queueName, queuePrefix, type Config, type Logger, type RedisClient } from '@msgpipe/shared';
import { MetricsTime, Worker } from 'bullmq';
import { WorkerMetrics } from './metrics.js';
import { createProcessor } from './process-message.js';
import { RulesResponder, type Responder } from './responder.js';

export interface WorkerDeps {
  config: Config;
  /** A worker-role connection (createRedis(…, 'worker')): BullMQ needs maxRetriesPerRequest null. */
  connection: RedisClient;
  logger: Logger;
  responder?: Responder;
  /** Which queue partitions to consume; default all of QUEUE_PARTITIONS. */
  partitions?: readonly number[];
}

/**
 * A re-run of a job whose worker died is safe (the history write is idempotent), and losing a
 * message is not: let a job stall several times before BullMQ gives up on it.
 */
const MAX_STALLED_COUNT = 5;

/** The workers of one process: one BullMQ Worker per consumed partition, one processor. */
export class MessageWorker {
  readonly workers: readonly Worker[];
  readonly metrics = new WorkerMetrics();
  readonly #logger: Logger;
  readonly #shutdownTimeoutMs: number;

  constructor({ config, connection, logger, responder = new RulesResponder(), partitions }: WorkerDeps) {
    this.#logger = logger;
    this.#shutdownTimeoutMs = config.shutdownTimeoutMs;
    const recorder = new ExchangeRecorder(connection, new KeySchema(config.redis.prefix), {
      history: config.history,
      onlineWindowSeconds: config.onlineWindowSeconds,
    });
    const processor = createProcessor({ responder, recorder, logger, metrics: this.metrics });
    const consumed = partitions ?? Array.from({ length: config.queuePartitions }, (_, partition) => partition);
    this.workers = consumed.map((partition) => {
      const worker = new Worker(queueName(partition), processor, {
        connection,
        prefix: queuePrefix(config.redis.prefix, partition),
        concurrency: config.workerConcurrency,
        maxStalledCount: MAX_STALLED_COUNT,
        lockDuration: config.jobLockMs,
        stalledInterval: config.jobLockMs,
        // Per-minute completed/failed counts for the dashboard's charts (a bounded list).
        metrics: { maxDataPoints: MetricsTime.TWO_WEEKS },
      });
      worker.on('error', (error) => logger.warn({ err: error.message, queue: worker.name }, 'worker error'));
      return worker;
    });
  }

  /** Resolves once every partition's worker is connected and consuming. */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  /**
   * Stops taking jobs and lets the ones in flight finish, for at most SHUTDOWN_TIMEOUT_MS;
   * after that, jobs still running are abandoned to BullMQ's stalled-job recovery, which
   * hands them to another worker (the idempotent write keeps that exactly-once).
   */
  async close(): Promise<void> {
    // pause() stops fetching and waits for the jobs in flight. close() is called once only:
    // BullMQ caches its first close, so a later close(true) could not force anything.
    const drained = Promise.all(this.workers.map((worker) => worker.pause())).then(() => true);
    const timeout = new Promise<false>((resolve) => setTimeout(resolve, this.#shutdownTimeoutMs, false).unref());
    const finished = await Promise.race([drained, timeout]);
    if (!finished) this.#logger.warn('jobs still running at shutdown timeout; leaving them to stalled-job recovery');
    await Promise.all(this.workers.map((worker) => worker.close(!finished)));
  }
}

export function createWorker(deps: WorkerDeps): MessageWorker {
  return new MessageWorker(deps);
}
