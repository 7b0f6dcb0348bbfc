import { carriedMessages, type MessageJobData, type RedisClient } from '@msgpipe/shared';
import type { Job, Queue } from 'bullmq';

/**
 * When a job became ready to run, as the ops page and the queue-latency gauge count it.
 *
 * - A fresh job: its oldest message's send time, so a batch is as old as its first message
 *   and the time a message spent waiting for its batch to go counts too.
 * - A job added with a delay (a batch's message going on alone after a failure): when the
 *   delay ended, since the wait before that is a backoff chosen on purpose.
 * - A job that ran before (promoted back from a retry's backoff, or moved back after a
 *   stall): when its last attempt started. BullMQ keeps no record of when a retry's backoff
 *   ended, so such a job's age includes its last attempt and backoff: an upper bound.
 */
export function readySince(job: Job<MessageJobData>): number {
  let sent = Infinity;
  // Read with care: anyone with Redis access can add a job.
  for (const message of carriedMessages(job.data)) {
    const time = typeof message?.sendTime === 'string' ? Date.parse(message.sendTime) : NaN;
    if (time < sent) sent = time;
  }
  // Data of another shape (a job added by hand on the dashboard): when it was added.
  if (!Number.isFinite(sent)) sent = job.timestamp;
  const delay = job.opts.delay ?? 0;
  return Math.max(sent, delay > 0 ? job.timestamp + delay : 0, job.processedOn ?? 0);
}

/**
 * How long the oldest waiting job of a queue has waited, in seconds (0 with none waiting).
 *
 * Waiting means not yet taken by a worker: the `wait` list (jobs stay there while the queue is
 * paused) and the `prioritized` set, which nothing fills today. BullMQ pushes new and promoted
 * jobs on the left of `wait` and workers take from the right, so the right end is the job that
 * has waited longest: LINDEX -1, O(1), and one job read (HGETALL: its data is at most
 * ENQUEUE_BATCH_MAX_BYTES). Delayed jobs (waiting out a retry's
 * backoff) are not waiting: they show in the delayed count. Every key is in the partition's
 * hash-tag slot, so this works on a Redis Cluster as it is.
 */
export async function oldestWaitingSeconds(redis: RedisClient, queue: Queue<MessageJobData>, now: number): Promise<number> {
  const [last, prioritized] = await Promise.all([redis.lindex(queue.toKey('wait'), -1), redis.zrange(queue.toKey('prioritized'), 0, 0)]);
  const ids = [last, prioritized[0]].filter((id): id is string => typeof id === 'string' && id !== '');
  // A job taken meanwhile is gone from the look-up or no longer waiting: it was a moment ago.
  const jobs = (await Promise.all(ids.map((id) => queue.getJob(id)))).filter((job) => job !== undefined);
  return Math.max(0, ...jobs.map((job) => (now - readySince(job)) / 1000));
}
