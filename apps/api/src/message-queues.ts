import type { Queue } from 'bullmq';
import {
  MESSAGE_JOB_NAME,
  openMessageQueue,
  partitionOf,
  type MessageJob,
  type MessageStatus,
  type RedisClient,
} from '@msgpipe/shared';

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

/** The message queue(s): one BullMQ queue per partition, an IP always on the same one. */
export class MessageQueues {
  #queues: ReadonlyArray<Queue<MessageJob>>;
  readonly #onReplaced = new Set<() => void>();

  constructor(
    private readonly connection: RedisClient,
    private readonly redisPrefix: string,
    partitions: number,
  ) {
    this.#queues = Array.from({ length: partitions }, (_, partition) => this.#open(partition));
  }

  /** The queues as they are now: one whose start failed is replaced (see #started). */
  get queues(): ReadonlyArray<Queue<MessageJob>> {
    return this.#queues;
  }

  /** Calls `listener` whenever a queue was replaced, e.g. for the dashboard to list the new one. */
  onReplaced(listener: () => void): void {
    this.#onReplaced.add(listener);
  }

  #open(partition: number): Queue<MessageJob> {
    const queue = openMessageQueue(this.connection, this.redisPrefix, partition);
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
  async #started(partition: number): Promise<Queue<MessageJob>> {
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

  async enqueue(job: MessageJob): Promise<void> {
    const queue = await this.#started(this.#partitionOf(job.ip));
    await queue.add(MESSAGE_JOB_NAME, job, { jobId: job.id });
  }

  /** The job and its status while BullMQ still holds it, only if `ip` sent it. */
  async find(ip: string, id: string): Promise<{ job: MessageJob; status: MessageStatus } | undefined> {
    const job = await (await this.#started(this.#partitionOf(ip))).getJob(id);
    if (!job || job.data.ip !== ip) return undefined;
    const status = STATUS_OF_STATE[await job.getState()];
    return status ? { job: job.data, status } : undefined;
  }

  /** Any IP's message, for admins: looks in every partition, since the IP is not known. */
  async findAny(id: string): Promise<{ job: MessageJob; status: MessageStatus } | undefined> {
    for (let partition = 0; partition < this.#queues.length; partition++) {
      const job = await (await this.#started(partition)).getJob(id);
      if (!job) continue;
      const status = STATUS_OF_STATE[await job.getState()];
      return status ? { job: job.data, status } : undefined;
    }
    return undefined;
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

  async close(): Promise<void> {
    await Promise.all(this.#queues.map((queue) => queue.close()));
  }
}
