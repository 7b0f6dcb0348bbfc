import { batchMessagesOf, isBatchJob, singleMessageOf, type BatchJob, type ExchangeRecorder, type Logger, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import type { Job } from 'bullmq';
import { describeError, type ExchangeWriter } from './message-attempt.js';
import type { WorkerMetrics } from './metrics.js';
import { FailureReason } from './responders/failure-reasons.js';

export interface AbandonedJobDeps {
  recorder: ExchangeWriter;
  /**
   * Whether a message's record is complete: such a message has ended. One written but not
   * counted (a cluster worker died between the steps) is ended again, which completes its count.
   */
  records: Pick<ExchangeRecorder, 'isRecorded'>;
  /** Puts a message of a batch on alone, as process-batch does with one that failed for good. */
  handOn(batch: Job<BatchJob>, message: MessageJob, delayMs: number): Promise<void>;
  metrics: WorkerMetrics;
  logger: Logger;
}

/**
 * Ends, visibly, the messages of a job BullMQ is about to fail by itself (see MessageJobWorker),
 * each one not in its history yet; its sender is told FailureReason.abandoned, the detail goes
 * to the log.
 * - A job of one message: the message is recorded `failed` (history, counters, and published
 *   for `?wait` and `/v1/stream`), so `GET /v1/messages/{id}` shows it failed, not unknown.
 * - A batch: each such message goes on alone carrying that failure, as one that failed for
 *   good inside a batch does: its job records it failed, and the dashboard shows it as a failed
 *   job of its own, to retry. One already on alone (a transient failure) keeps its job: adding
 *   a job id BullMQ holds changes nothing.
 * A job whose data is malformed gets nothing written, as everywhere.
 */
export function createAbandonedJobEnder({ recorder, records, handOn, metrics, logger }: AbandonedJobDeps) {
  /** The job's messages, or none when its data is malformed. */
  function messagesOf(job: Job<MessageJobData>): MessageJob[] {
    try {
      return isBatchJob(job.data) ? batchMessagesOf(job.data) : [singleMessageOf(job.data, job.id)];
    } catch (error) {
      logger.warn({ job: job.id, err: describeError(error) }, 'a job BullMQ failed by itself holds no valid messages: nothing recorded');
      return [];
    }
  }

  async function end(job: Job<MessageJobData>, message: MessageJob): Promise<void> {
    if (isBatchJob(job.data)) {
      const attemptsBefore = (message.attemptsBefore ?? 0) + 1;
      await handOn(job as Job<BatchJob>, { ...message, attemptsBefore, failure: FailureReason.abandoned }, 0);
      return;
    }
    const { id, ip, message: text, sendTime } = message;
    const entry = { id, message: text, sendTime, status: 'failed' as const, error: FailureReason.abandoned, respondedAt: new Date().toISOString() };
    if (await recorder.record(ip, entry)) metrics.jobs.inc({ outcome: 'failed' });
  }

  return async function endAbandoned(job: Job<MessageJobData>): Promise<void> {
    const messages = messagesOf(job);
    const recorded = await Promise.all(messages.map((message) => records.isRecorded(message.ip, message.id)));
    const unended = messages.filter((_, index) => !recorded[index]);
    logger.warn(
      {
        job: job.id,
        reason: job.deferredFailure,
        stalls: job.stalledCounter,
        ids: unended.map((message) => message.id),
        requestIds: unended.flatMap((message) => message.requestId ?? []),
      },
      'job failed by BullMQ: its messages not answered yet end failed',
    );
    await Promise.all(unended.map((message) => end(job, message)));
  };
}
