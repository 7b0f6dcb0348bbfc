import { batchMessagesOf, InvalidJobDataError, type BatchJob, type ExchangeRecorder, type Logger, type MessageJob } from '@msgpipe/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import type { LimitFunction } from 'p-limit';
import { responderBackoffStrategy } from './backoff.js';
import { describeError, type MessageAttempt } from './message-attempt.js';
import type { WorkerMetrics } from './metrics.js';
import { RecordRefusedError } from './record-refusals.js';
import { failureReasonOf, isPermanentFailure, PermanentResponderError } from './responders/errors.js';

export interface BatchDeps {
  attempt: MessageAttempt;
  /** Whether a message's record is complete: a batch run again skips those. */
  records: Pick<ExchangeRecorder, 'isRecorded'>;
  metrics: WorkerMetrics;
  logger: Logger;
  /** RESPONDER_ATTEMPTS. */
  maxAttempts: number;
  /** WORKER_CONCURRENCY: messages in flight in this process, however they are batched. */
  limit: LimitFunction;
  /**
   * Puts a message that failed back on the batch's queue as a job of its own (format 1, its id
   * as job id), `delayMs` from now, with `attemptsBefore` attempts behind it, and its `failure`
   * (the reason its sender is told) when it failed for good.
   */
  handOn(batch: Job<BatchJob>, message: MessageJob, delayMs: number): Promise<void>;
}

type Outcome = 'completed' | 'retrying';

/**
 * A batch job (format 2): each message keeps its own life. The messages are answered side by
 * side, within `limit`. One that fails transiently goes on in a job of its own, with its own
 * backoff and attempts, and holds up none of the others; one that fails for good goes on in a
 * job of its own that records it failed and fails, so the dashboard shows it as it shows a
 * message sent alone. The batch completes once every message is recorded or handed on.
 *
 * Run again (a worker killed, a write Redis refused), it skips the messages already recorded;
 * a first run looks nothing up.
 * A failure on the way (Redis down) fails the batch's attempt, and BullMQ runs it again.
 */
export function createBatchProcessor({ attempt, records, metrics, logger, maxAttempts, limit, handOn }: BatchDeps) {
  async function handle(batch: Job<BatchJob>, message: MessageJob): Promise<Outcome> {
    const number = (message.attemptsBefore ?? 0) + 1;
    try {
      // Nothing is recorded failed here: a message that fails for good goes on alone to fail.
      await attempt(message, number, () => false);
      return 'completed';
    } catch (error) {
      if (error instanceof RecordRefusedError) throw error;
      const handedOn = { ...message, attemptsBefore: number };
      if (isPermanentFailure(error) || number >= maxAttempts) {
        // Its job of its own knows only the reason: the detail is logged here, with the id.
        const detail = error instanceof PermanentResponderError ? error.detail : undefined;
        logger.warn({ id: message.id, requestId: message.requestId, attempts: number, err: describeError(error), detail }, 'message of a batch failed for good');
        await handOn(batch, { ...handedOn, failure: failureReasonOf(error) }, 0);
      } else {
        await handOn(batch, handedOn, responderBackoffStrategy(number, undefined, error as Error));
      }
      // Its job of its own counts its outcome: `failed` once, however it got there.
      return 'retrying';
    }
  }

  async function measured(batch: Job<BatchJob>, message: MessageJob): Promise<void> {
    const stopTimer = metrics.processingSeconds.startTimer();
    const outcome = await handle(batch, message);
    stopTimer({ outcome });
    metrics.jobs.inc({ outcome });
  }

  /**
   * The messages whose record is not complete: not in their histories yet, or (on a cluster)
   * written but not counted when the last run died. One look-up each, paid only by a batch run
   * again; a message run again after its entry was written asks the responder again, and its
   * record then only completes the count.
   */
  async function unrecorded(messages: MessageJob[]): Promise<MessageJob[]> {
    const recorded = await Promise.all(messages.map((message) => records.isRecorded(message.ip, message.id)));
    return messages.filter((_, index) => !recorded[index]);
  }

  return async function processBatch(batch: Job<BatchJob>): Promise<void> {
    let messages: MessageJob[];
    try {
      messages = batchMessagesOf(batch.data);
    } catch (error) {
      if (error instanceof InvalidJobDataError) throw new UnrecoverableError(error.message);
      throw error;
    }
    const pending = ranBefore(batch) ? await unrecorded(messages) : messages;
    const settled = await Promise.allSettled(pending.map((message) => limit(() => measured(batch, message))));
    // A refused write first: retryRefusedRecords puts the whole batch back without using an attempt.
    const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    const refused = failures.find((reason) => reason instanceof RecordRefusedError);
    if (refused ?? failures[0]) throw refused ?? failures[0];
  };
}

/**
 * Whether the batch was started before: after a worker died (stalled), a failed attempt, or a
 * write Redis refused (delayed, then started again). BullMQ counts every start.
 */
const ranBefore = (batch: Job<BatchJob>) => batch.attemptsStarted > 1 || batch.attemptsMade > 0 || batch.stalledCounter > 0;
