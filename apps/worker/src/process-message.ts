import { InvalidJobDataError, isBatchJob, singleMessageOf, type BatchJob, type HistoryStore, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import { describeError, type MessageAttempt } from './message-attempt.js';
import type { WorkerMetrics } from './metrics.js';
import { RecordRefusedError } from './record-refusals.js';
import { isPermanentFailure } from './responders/errors.js';

export interface ProcessorDeps {
  attempt: MessageAttempt;
  /** Whether a message is recorded: tells a dashboard retry of a carried failure from its first run. */
  history: Pick<HistoryStore, 'isWritten'>;
  metrics: WorkerMetrics;
  /** RESPONDER_ATTEMPTS: attempts per message, when the job itself allows as many. */
  maxAttempts: number;
  /** Takes a job of format 2, a batch (see process-batch.ts). */
  processBatch(job: Job<BatchJob>): Promise<void>;
  /**
   * WORKER_CONCURRENCY: messages in flight in this process, the batches' too, so a job of one
   * message waits for a place like a message of a batch does. Default: no bound of its own.
   */
  limit?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * The workers' processor: a batch job goes to processBatch, a job of one message (format 1) is
 * handled here, with BullMQ's own retries.
 *
 * Such jobs are enqueued allowing more attempts than RESPONDER_ATTEMPTS, so this decides when to
 * stop: after RESPONDER_ATTEMPTS attempts (or the job's own, if fewer; counting those the
 * message had in a batch before), or at once on a permanent failure. The last failure is
 * recorded as `failed` with its error, then rethrown as an UnrecoverableError (same message) so
 * BullMQ fails the job instead of retrying it. Earlier failures are rethrown as they are: the
 * backoff strategy reads their Retry-After.
 */
export function createProcessor({ attempt, history, metrics, maxAttempts, processBatch, limit = (work) => work() }: ProcessorDeps) {
  function isLastAttempt(job: Job<MessageJob>, message: MessageJob, error: unknown): boolean {
    // A write Redis refused is retried without using an attempt (retryRefusedRecords), however many are left.
    if (error instanceof RecordRefusedError) return false;
    return isPermanentFailure(error) || attemptOf(job, message) >= Math.min(job.opts.attempts ?? 1, maxAttempts);
  }

  /**
   * Resolves with nothing: the history is the record of the answer, and a return value would
   * be stored again in the job and in BullMQ's completed event, for every message.
   */
  async function processMessage(job: Job<MessageJob>): Promise<void> {
    const message = await withoutRecordedFailure(job, validated(job));
    const stopTimer = metrics.processingSeconds.startTimer();
    try {
      await attempt(message, attemptOf(job, message), (error) => isLastAttempt(job, message, error));
      stopTimer({ outcome: 'completed' });
      metrics.jobs.inc({ outcome: 'completed' });
    } catch (error) {
      const last = isLastAttempt(job, message, error);
      stopTimer({ outcome: last ? 'failed' : 'retrying' });
      metrics.jobs.inc({ outcome: last ? 'failed' : 'retrying' });
      if (last && !(error instanceof UnrecoverableError)) throw new UnrecoverableError(describeError(error));
      throw error;
    }
  }

  /**
   * A message that failed for good in a batch carries its failure to a job of its own, whose
   * first run records it without asking the responder again. Once that job has failed with it
   * recorded, a run of it is a retry (from the dashboard): the responder is asked again, and an
   * answer replaces the failed entry. Both signs are needed: a first run that failed without
   * recording (its write failed) has made an attempt too, and a redelivered first run has
   * recorded without failing.
   */
  async function withoutRecordedFailure(job: Job<MessageJob>, message: MessageJob): Promise<MessageJob> {
    if (message.failure === undefined || job.attemptsMade === 0) return message;
    if (!(await history.isWritten(message.ip, message.id))) return message;
    const { failure: _recorded, ...retried } = message;
    return retried;
  }

  return (job: Job<MessageJobData>): Promise<void> =>
    isBatchJob(job.data) ? processBatch(job as Job<BatchJob>) : limit(() => processMessage(job as Job<MessageJob>));
}

/**
 * The job's message, checked first: anyone who can add a job (the dashboard, Redis access)
 * decides its data. A malformed job fails at once, before anything is written.
 */
function validated(job: Job<MessageJob>): MessageJob {
  try {
    return singleMessageOf(job.data, job.id);
  } catch (error) {
    if (error instanceof InvalidJobDataError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

/** This attempt's number, counting from 1 over every job the message had. */
const attemptOf = (job: Job<MessageJob>, message: MessageJob) => (message.attemptsBefore ?? 0) + job.attemptsMade + 1;
