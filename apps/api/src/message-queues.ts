import { Queue } from 'bullmq';
import {
  MESSAGE_JOB_NAME,
  MESSAGE_JOB_OPTIONS,
  partitionOf,
  queueName,
  queuePrefix,
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

/** The message queue(s): one BullMQ queue per partition, an IP always on the same one. */
export class MessageQueues {
  readonly queues: ReadonlyArray<Queue<MessageJob>>;

  constructor(connection: RedisClient, redisPrefix: string, partitions: number) {
    this.queues = Array.from(
      { length: partitions },
      (_, partition) =>
        new Queue<MessageJob>(queueName(partition), {
          connection,
          prefix: queuePrefix(redisPrefix, partition),
          defaultJobOptions: MESSAGE_JOB_OPTIONS,
        }),
    );
  }

  #queueFor(ip: string): Queue<MessageJob> {
    return this.queues[partitionOf(ip, this.queues.length)]!;
  }

  async enqueue(job: MessageJob): Promise<void> {
    await this.#queueFor(job.ip).add(MESSAGE_JOB_NAME, job, { jobId: job.id });
  }

  /** The job and its status while BullMQ still holds it, only if `ip` sent it. */
  async find(ip: string, id: string): Promise<{ job: MessageJob; status: MessageStatus } | undefined> {
    const job = await this.#queueFor(ip).getJob(id);
    if (!job || job.data.ip !== ip) return undefined;
    const state = await job.getState();
    const status = STATUS_OF_STATE[state];
    return status ? { job: job.data, status } : undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}
