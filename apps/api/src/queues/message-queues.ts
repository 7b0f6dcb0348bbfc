import type { Job, Queue } from 'bullmq';
import {
  BATCH_FORMAT,
  batchIdOf,
  isBatchJob,
  MESSAGE_JOB_NAME,
  openMessageQueue,
  partitionOf,
  queuePrefix,
  type MessageJob,
  type MessageJobData,
  type MessageStatus,
  type RedisClient,
} from '@msgpipe/shared';
import { PartitionGroupCommit, type GroupCommitLimits, type Reservation } from '../intake/group-commit.js';
import { oldestWaitingSeconds } from './queue-latency.js';

const STATUS_OF_STATE: Record<string, MessageStatus> = {
  waiting: 'queued',
  'waiting-children': 'queued',
  prioritized: 'queued',
  delayed: 'queued', // waiting out a retry backoff
  active: 'processing',
  completed: 'completed',
  failed: 'failed',
};

/** The job states `GET /v1/stats` reports, in its order. */
export const QUEUE_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed'] as const;
export type QueueCounts = Record<(typeof QUEUE_STATES)[number], number>;

/** A partition as the ops page and the latency gauge see it. */
export interface PartitionWaiting {
  queue: string;
  paused: boolean;
  /** How long its oldest waiting job has waited (see queue-latency.ts); 0 with none waiting. */
  oldestWaitingSeconds: number;
}

/** A worker consuming a partition: one of its Redis connections, as CLIENT LIST shows it. */
export interface WorkerClient {
  /** The name the worker process gave its BullMQ workers (host:pid); its address if it gave none. */
  name: string;
  /** Where Redis sees the connection come from, `host:port`. */
  address: string;
  /** How long the connection has been open. */
  ageSeconds: number;
}

/** A message BullMQ still holds, and how far it got; `inBatch` when its job carries others too. */
export interface QueuedMessage {
  job: MessageJob;
  status: MessageStatus;
  inBatch: boolean;
}

/** Group commit off: every message a job of its own, as ENQUEUE_BATCH_MAX=1 says. */
const ONE_BY_ONE: GroupCommitLimits = { maxMessages: 1, maxBytes: Infinity, maxInFlight: 1 };

/** The message queue(s): one BullMQ queue per partition, an IP always on the same one. */
export class MessageQueues {
  #queues: ReadonlyArray<Queue<MessageJobData>>;
  readonly #groupCommits: readonly PartitionGroupCommit[];
  readonly #onReplaced = new Set<() => void>();
  readonly #onJobAdded = new Set<(messages: number) => void>();

  constructor(
    private readonly connection: RedisClient,
    private readonly redisPrefix: string,
    partitions: number,
    batching: GroupCommitLimits = ONE_BY_ONE,
  ) {
    this.#queues = Array.from({ length: partitions }, (_, partition) => this.#open(partition));
    this.#groupCommits = Array.from(
      { length: partitions },
      (_, partition) =>
        new PartitionGroupCommit(
          {
            sendOne: (job) => this.enqueue(job),
            sendBatch: async (batchId, messages) => {
              await (await this.#started(partition)).add(MESSAGE_JOB_NAME, { v: BATCH_FORMAT, messages }, { jobId: batchId });
              this.#added(messages.length);
            },
          },
          batching,
        ),
    );
  }

  /** The queues as they are now: one whose start failed is replaced (see #started). */
  get queues(): ReadonlyArray<Queue<MessageJobData>> {
    return this.#queues;
  }

  /** Calls `listener` whenever a queue was replaced, e.g. for the dashboard to list the new one. */
  onReplaced(listener: () => void): void {
    this.#onReplaced.add(listener);
  }

  /** Calls `listener` with the number of messages of every job added (the metrics' histogram). */
  onJobAdded(listener: (messages: number) => void): void {
    this.#onJobAdded.add(listener);
  }

  #added(messages: number): void {
    for (const listener of this.#onJobAdded) listener(messages);
  }

  #open(partition: number): Queue<MessageJobData> {
    const queue = openMessageQueue(this.connection, this.redisPrefix, partition) as Queue<MessageJobData>;
    // The connection's own errors, already logged by its owner (openConnections). Without a
    // listener BullMQ console.errors each whole error object, bypassing the logger.
    queue.on('error', () => {});
    return queue;
  }

  /**
   * The partition's queue, started. BullMQ starts a queue once, by asking Redis its version;
   * on this fail-fast connection a Redis stalled or restarting at that moment failed the start
   * for good, and every command of that queue after it, until the API restarted. Such a queue
   * is opened afresh, so the next request can succeed.
   */
  async #started(partition: number): Promise<Queue<MessageJobData>> {
    const queue = this.#queues[partition]!;
    try {
      await queue.waitUntilReady();
      return queue;
    } catch (error) {
      if (this.#queues[partition] === queue) {
        this.#queues = this.#queues.map((current, index) => (index === partition ? this.#open(partition) : current));
        void queue.close().catch(() => {});
        for (const listener of this.#onReplaced) listener();
      }
      throw error;
    }
  }

  #partitionOf(ip: string): number {
    return partitionOf(ip, this.#queues.length);
  }

  /** A message alone, as a job of its own (its id as job id): adding it again changes nothing. */
  async enqueue(job: MessageJob): Promise<void> {
    const queue = await this.#started(this.#partitionOf(job.ip));
    await queue.add(MESSAGE_JOB_NAME, job, { jobId: job.id });
    this.#added(1);
  }

  /** A place for a message of `bytes` on `ip`'s partition: in the next batch, or alone (group commit). */
  reserve(ip: string, bytes: number): Reservation {
    return this.#groupCommits[this.#partitionOf(ip)]!.reserve(bytes);
  }

  /** Enqueues under way, over the partitions. */
  get enqueuesInFlight(): number {
    return this.#groupCommits.reduce((sum, groupCommit) => sum + groupCommit.inFlight, 0);
  }

  /** Messages waiting for their batch to go, over the partitions. */
  get messagesWaitingForBatch(): number {
    return this.#groupCommits.reduce((sum, groupCommit) => sum + groupCommit.waiting, 0);
  }

  /** The job and its status while BullMQ still holds it, only if `ip` sent it. */
  async find(ip: string, id: string): Promise<QueuedMessage | undefined> {
    const found = await this.#findIn(this.#partitionOf(ip), id);
    return found && found.job.ip === ip ? found : undefined;
  }

  /** Any IP's message, for admins: looks in every partition, since the IP is not known. */
  async findAny(id: string): Promise<QueuedMessage | undefined> {
    for (let partition = 0; partition < this.#queues.length; partition++) {
      const found = await this.#findIn(partition, id);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * A message in a job of its own (its id is the job id: also a message of a batch that went on
   * alone after a failure), else in the batch its id names: two look-ups at most.
   */
  async #findIn(partition: number, id: string): Promise<QueuedMessage | undefined> {
    const queue = await this.#started(partition);
    const alone = await queue.getJob(id);
    if (alone && !isBatchJob(alone.data)) return this.#withStatus(alone, alone.data, false);
    const batch = await queue.getJob(batchIdOf(id));
    if (!batch || !isBatchJob(batch.data)) return undefined;
    const message = batch.data.messages.find((candidate) => candidate.id === id);
    return message && this.#withStatus(batch, message, true);
  }

  async #withStatus(job: Job<MessageJobData>, message: MessageJob, inBatch: boolean): Promise<QueuedMessage | undefined> {
    const status = STATUS_OF_STATE[await job.getState()];
    return status ? { job: message, status, inBatch } : undefined;
  }

  /** Jobs by state, summed over the partitions, and per partition (for the metrics). */
  async counts(): Promise<{ total: QueueCounts; byQueue: Array<{ queue: string; counts: QueueCounts }> }> {
    const byQueue = await Promise.all(
      this.#queues.map(async (_, partition) => {
        const queue = await this.#started(partition);
        const raw = await queue.getJobCounts(...QUEUE_STATES, 'prioritized');
        // Nothing is enqueued with a priority; should that change, those jobs are still waiting.
        const counts = Object.fromEntries(QUEUE_STATES.map((state) => [state, raw[state] ?? 0])) as QueueCounts;
        counts.waiting += raw.prioritized ?? 0;
        return { queue: queue.name, counts };
      }),
    );
    const total = Object.fromEntries(
      QUEUE_STATES.map((state) => [state, byQueue.reduce((sum, { counts }) => sum + counts[state], 0)]),
    ) as QueueCounts;
    return { total, byQueue };
  }

  /** Per partition, in order: paused or not, and its queue latency at `now` (ms). */
  async waiting(now: number): Promise<PartitionWaiting[]> {
    return Promise.all(
      this.#queues.map(async (_, partition) => {
        const queue = await this.#started(partition);
        const [paused, oldest] = await Promise.all([queue.isPaused(), oldestWaitingSeconds(this.connection, queue, now)]);
        return { queue: queue.name, paused, oldestWaitingSeconds: oldest };
      }),
    );
  }

  /** Per partition, the workers consuming it (BullMQ's getWorkers: one CLIENT LIST each). */
  async workerClients(): Promise<Array<{ queue: string; clients: WorkerClient[] }>> {
    return Promise.all(
      this.#queues.map(async (_, partition) => {
        const queue = await this.#started(partition);
        // BullMQ names a worker's connection `<prefix>:<base64(queue)>:w:<worker name>`.
        const named = `${queuePrefix(this.redisPrefix, partition)}:${Buffer.from(queue.name).toString('base64')}:w:`;
        const clients = (await queue.getWorkers()).map(({ rawname = '', addr = '', age = '0' }) => ({
          name: rawname.startsWith(named) ? rawname.slice(named.length) : addr,
          address: addr,
          ageSeconds: Number(age) || 0,
        }));
        return { queue: queue.name, clients };
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.#queues.map((queue) => queue.close()));
  }
}
