import {
  HistoryStore,
  KeySchema,
  MESSAGE_JOB_NAME,
  openMessageQueue,
  queueName,
  queuePrefix,
  withRedisHint,
  type BatchJob,
  type Config,
  type Logger,
  type MessageJob,
  type RedisClient,
} from '@msgpipe/shared';
import { hostname } from 'node:os';
import { MetricsTime, type Job, type Queue, type Worker } from 'bullmq';
import pLimit from 'p-limit';
import { createAbandonedJobEnder } from './abandoned-jobs.js';
import { responderBackoffStrategy } from './backoff.js';
import { GroupCommitRecorder } from './group-commit-recorder.js';
import { InFlightMessages } from './in-flight.js';
import { InFlightHeartbeat } from './in-flight-heartbeat.js';
import { MeasuredResponder } from './measured-responder.js';
import { PacedResponder } from './paced-responder.js';
import { WorkerMetrics } from './metrics.js';
import { createMessageAttempt } from './message-attempt.js';
import { MessageJobWorker } from './message-job-worker.js';
import { createBatchProcessor } from './process-batch.js';
import { createProcessor } from './process-message.js';
import { RefusalAwareRecorder, retryRefusedRecords } from './record-refusals.js';
import { RepeatedErrorLog } from './repeated-error-log.js';
import { CachingResponder } from './response-cache.js';
import { createResponder } from './responders/index.js';
import type { Responder } from './responders/responder.js';
import type { WorkerTracing } from './telemetry.js';

export interface WorkerDeps {
  config: Config;
  /** A worker-role connection (createRedis(…, 'worker')): BullMQ needs maxRetriesPerRequest null. */
  connection: RedisClient;
  logger: Logger;
  /**
   * The responder to call; default createResponder(config), which throws on a bad rules file
   * (main.ts builds it first, to stop before consuming). Either way the worker adds metrics
   * and, for webhook and openai, the response cache around it.
   */
  responder?: Responder;
  /** Which queue partitions to consume; default all of QUEUE_PARTITIONS. */
  partitions?: readonly number[];
  /** The name the ops page shows for this process; default workerName(). */
  name?: string;
  /** Spans per message, responder call, record and batch, when tracing is on (see telemetry.ts). */
  tracing?: WorkerTracing;
}

/**
 * `host:pid`, which tells an operator where to look. BullMQ puts it in the name of each
 * worker's Redis connection (CLIENT LIST), where the API finds the live workers, so it is
 * kept to characters that need no quoting there or in a key.
 */
export function workerName(): string {
  return `${hostname().replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64)}:${process.pid}`;
}

/**
 * A re-run of a job whose worker died is safe (the history write is idempotent), and losing a
 * message is not: let a job stall several times before BullMQ gives up on it (and the worker
 * records its messages failed: see MessageJobWorker).
 */
export const MAX_STALLED_COUNT = 5;


/** The workers of one process: one BullMQ Worker per consumed partition, one processor. */
export class MessageWorker {
  readonly workers: readonly Worker[];
  readonly metrics = new WorkerMetrics();
  readonly name: string;
  /** Messages of the jobs running now, published for the ops page by #heartbeat. */
  readonly inFlight = new InFlightMessages();
  readonly #heartbeat: InFlightHeartbeat;
  readonly #logger: Logger;
  readonly #shutdownTimeoutMs: number;
  readonly #retryQueues = new Map<number, Queue<MessageJob>>();

  constructor({ config, connection, logger, responder = createResponder(config), partitions, name = workerName(), tracing }: WorkerDeps) {
    this.name = name;
    this.#logger = logger;
    this.#shutdownTimeoutMs = config.shutdownTimeoutMs;
    const keys = new KeySchema(config.redis.prefix);
    const records = new RefusalAwareRecorder(connection, keys, { history: config.history, onlineWindowSeconds: config.onlineWindowSeconds });
    const recorder = new GroupCommitRecorder(records);
    const history = new HistoryStore(connection, keys);
    const wrapped = this.#wrap(responder, config, connection, keys);
    // Tracing off, nothing is wrapped: a message pays nothing for it.
    const attemptOnce = createMessageAttempt({
      responder: tracing ? tracing.responder(wrapped) : wrapped,
      recorder: tracing ? tracing.recorder(recorder) : recorder,
      history,
      logger,
      metrics: this.metrics,
    });
    const attempt = tracing ? tracing.attempt(attemptOnce) : attemptOnce;
    const maxAttempts = config.responderPolicy.attempts;
    const consumed = partitions ?? Array.from({ length: config.queuePartitions }, (_, partition) => partition);
    // WORKER_PARTITIONS may name partitions beyond QUEUE_PARTITIONS (draining them): by name, not by count.
    const partitionOfQueue = new Map(consumed.map((partition) => [queueName(partition), partition]));
    // One bound for every message in flight in this process, alone or in a batch.
    const messagesInFlight = pLimit(config.workerConcurrency);
    /** A message of a batch on alone, as a job of its own (its id as job id): see BatchDeps.handOn. */
    const handOn = async (batch: Job<BatchJob>, message: MessageJob, delayMs: number) => {
      const partition = partitionOfQueue.get(batch.queueName);
      if (partition === undefined) throw new Error(`a batch from ${batch.queueName}, which this worker does not consume`);
      await this.#retryQueue(partition, config, connection).add(MESSAGE_JOB_NAME, message, { jobId: message.id, delay: delayMs });
    };
    const processEachOfBatch = createBatchProcessor({ attempt, records, metrics: this.metrics, logger, maxAttempts, limit: messagesInFlight, handOn });
    const processBatch = tracing ? tracing.batch(processEachOfBatch) : processEachOfBatch;
    const processor = retryRefusedRecords(createProcessor({ attempt, history, metrics: this.metrics, maxAttempts, processBatch, limit: messagesInFlight }));
    const endAbandoned = createAbandonedJobEnder({ recorder, records, handOn, metrics: this.metrics, logger });
    this.workers = consumed.map((partition) => {
      const worker = new MessageJobWorker(queueName(partition), processor, {
        name,
        connection,
        prefix: queuePrefix(config.redis.prefix, partition),
        concurrency: config.workerConcurrency,
        maxStalledCount: MAX_STALLED_COUNT,
        lockDuration: config.jobLockMs,
        stalledInterval: config.jobLockMs,
        // Per-minute completed/failed counts for the dashboard's charts (a bounded list).
        metrics: { maxDataPoints: MetricsTime.TWO_WEEKS },
        // Waits between attempts: Retry-After when the upstream gave one, else exponential with jitter.
        settings: { backoffStrategy: responderBackoffStrategy },
      }, endAbandoned, this.inFlight);
      const errors = new RepeatedErrorLog((fields) => logger.warn({ ...fields, queue: worker.name }, 'worker error'));
      // With the hint: a permission the ACL lacks shows up here, refused inside BullMQ's scripts.
      worker.on('error', (error) => errors.report(withRedisHint(error)));
      return worker;
    });
    this.#heartbeat = new InFlightHeartbeat(connection, keys, name, this.inFlight);
  }

  /** A consumed partition's queue, opened when a message of a batch first goes on alone. */
  #retryQueue(partition: number, config: Config, connection: RedisClient): Queue<MessageJob> {
    let queue = this.#retryQueues.get(partition);
    if (!queue) {
      queue = openMessageQueue(connection, config.redis.prefix, partition);
      this.#retryQueues.set(partition, queue);
    }
    return queue;
  }

  /** Metrics around every call, then RESPONDER_MAX_PER_SECOND; the cache outside them, so a hit is not a responder call. */
  #wrap(responder: Responder, config: Config, redis: RedisClient, keys: KeySchema): Responder {
    const kind = config.responder.kind;
    const { maxPerSecond, cacheTtlSeconds } = config.responderPolicy;
    const measured = new MeasuredResponder(responder, kind, this.metrics);
    // Paced outside the timing, so a call's duration is the upstream's alone.
    const paced = maxPerSecond > 0 ? new PacedResponder(measured, redis, keys, maxPerSecond) : measured;
    // Never for rules: see CachingResponder.
    if (kind === 'rules' || cacheTtlSeconds === 0) return paced;
    return new CachingResponder(paced, { redis, keys, ttlSeconds: cacheTtlSeconds, kind, metrics: this.metrics, logger: this.#logger });
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
    await this.#heartbeat.stop();
    await Promise.all([...this.#retryQueues.values()].map((queue) => queue.close()));
  }
}

export function createWorker(deps: WorkerDeps): MessageWorker {
  return new MessageWorker(deps);
}
