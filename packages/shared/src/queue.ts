import { Queue, type DefaultJobOptions } from 'bullmq';
import type { RedisClient } from './redis.js';
import { Retention } from './retention.js';

/** What the API enqueues: who sent what, when. Kept small: it is stored once per message. */
export interface MessageJob {
  id: string;
  ip: string;
  message: string;
  /** ISO 8601 UTC with milliseconds. */
  sendTime: string;
  /**
   * Attempts the message had before this job: set when a message of a batch failed and goes on
   * in a job of its own, so it keeps its backoff and its RESPONDER_ATTEMPTS across both.
   */
  attemptsBefore?: number;
  /**
   * The error a message failed with for good inside a batch. Such a message goes on in a job of
   * its own that records it failed with this error and fails, without asking the responder
   * again: a failed job on the dashboard, as a message sent alone would be.
   */
  failure?: string;
  /** The id of the request that sent it (X-Request-Id), for the worker's log lines. */
  requestId?: string;
  /** W3C trace context of its enqueue, when the API traces: the worker's spans continue that trace. */
  traceparent?: string;
  tracestate?: string;
}

export const MESSAGE_JOB_NAME = 'message';

/** Partition 0 is plain `messages`, so a single-queue deployment reads naturally. */
export function queueName(partition: number): string {
  return partition === 0 ? 'messages' : `messages-${partition}`;
}

/**
 * BullMQ's key prefix for a partition. The hash tag keeps each queue's keys in one Redis
 * Cluster slot (BullMQ's scripts need that) and gives every partition its own slot.
 */
export function queuePrefix(redisPrefix: string, partition: number): string {
  return `${redisPrefix}:{${queueName(partition)}}`;
}

/** FNV-1a: stable across processes and versions, so one IP always lands on one partition. */
export function partitionOf(ip: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < ip.length; index++) {
    hash ^= ip.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * The backoff type of message jobs: not one of BullMQ's built-ins, so BullMQ asks the worker's
 * `settings.backoffStrategy`, which honours an upstream's Retry-After and adds jitter.
 */
export const RESPONDER_BACKOFF_TYPE = 'responder';

/**
 * The most attempts a message job may get: the upper bound of RESPONDER_ATTEMPTS. Jobs are
 * enqueued with this many and the worker stops earlier, after RESPONDER_ATTEMPTS (or at once on
 * a permanent failure), by failing the job with an UnrecoverableError. That keeps the attempt
 * count a worker setting: changing it needs no change to jobs already in the queue.
 */
export const MAX_MESSAGE_ATTEMPTS = 20;

export const MESSAGE_JOB_OPTIONS: DefaultJobOptions = {
  attempts: MAX_MESSAGE_ATTEMPTS,
  // `delay` is the base of the worker's exponential backoff (0.5 s, 1 s, 2 s, … capped).
  backoff: { type: RESPONDER_BACKOFF_TYPE, delay: 500 },
  removeOnComplete: { age: Retention.completedJobSeconds, count: Retention.completedJobCount },
  removeOnFail: { age: Retention.failedJobSeconds, count: Retention.failedJobCount },
};

/**
 * A partition's queue as the product opens it: its name, its key prefix and the message jobs'
 * default options. The API enqueues through it; tests and tools that put jobs where the
 * workers look use it too, so they cannot drift from the product.
 */
export function openMessageQueue(connection: RedisClient, redisPrefix: string, partition: number): Queue<MessageJob> {
  return new Queue<MessageJob>(queueName(partition), {
    connection,
    prefix: queuePrefix(redisPrefix, partition),
    defaultJobOptions: MESSAGE_JOB_OPTIONS,
  });
}
