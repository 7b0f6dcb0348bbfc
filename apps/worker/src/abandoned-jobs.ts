import { batchMessagesOf, isBatchJob, singleMessageOf, type BatchJob, type HistoryStore, type Logger, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import type { Job } from 'bullmq';
import { describeError, type ExchangeWriter } from './message-attempt.js';
import type { WorkerMetrics } from './metrics.js';

export interface AbandonedJobDeps {
  recorder: ExchangeWriter;
  history: Pick<HistoryStore, 'isWritten'>;
  /** Whether a message of the batch went on in a job of its own (handed on), which ends it. */
  hasJobOfItsOwn(batch: Job<BatchJob>, id: string): Promise<boolean>;
  metrics: WorkerMetrics;
  logger: Logger;
}

/** What the history says of a message whose job BullMQ gave up on after its workers died on it. */
export const abandonedError = (stalls: number) => `not answered: the worker answering it stopped ${stalls} times`;

/**
 * Ends, visibly, the messages of a job BullMQ is about to fail by itself (see MessageJobWorker):
 * each one not recorded yet is recorded `failed` (history, counters, and published for
 * `?wait` and `/v1/stream`), so `GET /v1/messages/{id}` shows it failed rather than unknown.
 * A message of a batch that went on in a job of its own is left to that job. A job whose data
 * is malformed gets nothing written, as everywhere.
 */
export function createAbandonedJobEnder({ recorder, history, hasJobOfItsOwn, metrics, logger }: AbandonedJobDeps) {
  /** The job's messages, or none when its data is malformed (the worker writes nothing of it). */
  function messagesOf(job: Job<MessageJobData>): MessageJob[] {
    try {
      return isBatchJob(job.data) ? batchMessagesOf(job.data) : [singleMessageOf(job.data, job.id)];
    } catch (error) {
      logger.warn({ job: job.id, err: describeError(error) }, 'a job BullMQ failed by itself holds no valid messages: nothing recorded');
      return [];
    }
  }

  async function isEnded(job: Job<MessageJobData>, message: MessageJob): Promise<boolean> {
    if (await history.isWritten(message.ip, message.id)) return true;
    return isBatchJob(job.data) && hasJobOfItsOwn(job as Job<BatchJob>, message.id);
  }

  return async function endAbandoned(job: Job<MessageJobData>): Promise<void> {
    const messages = messagesOf(job);
    const ended = await Promise.all(messages.map((message) => isEnded(job, message)));
    const unended = messages.filter((_, index) => !ended[index]);
    const respondedAt = new Date().toISOString();
    const recorded = await Promise.all(
      unended.map(async ({ id, ip, message, sendTime, failure }) => {
        // A failure it carried from its batch says more than how its job ended.
        const error = failure ?? abandonedError(job.stalledCounter);
        const written = await recorder.record(ip, { id, message, sendTime, status: 'failed', error, respondedAt });
        if (written) metrics.jobs.inc({ outcome: 'failed' });
        return written;
      }),
    );
    logger.warn(
      { job: job.id, reason: job.deferredFailure, stalls: job.stalledCounter, recordedFailed: unended.filter((_, index) => recorded[index]).map((message) => message.id) },
      'job failed by BullMQ: its messages not answered yet are recorded failed',
    );
  };
}
