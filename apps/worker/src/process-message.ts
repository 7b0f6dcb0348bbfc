import type { ExchangeRecorder, HistoryEntry, HistoryStore, Logger, MessageJob } from '@msgpipe/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import type { WorkerMetrics } from './metrics.js';
import { RecordRefusedError } from './record-refusals.js';
import { isPermanentFailure, PermanentResponderError } from './responders/errors.js';
import type { Responder, ResponderContext } from './responders/responder.js';

/** Exchanges a responder may see as the conversation so far (the openai responder does). */
export const RECENT_HISTORY_ENTRIES = 10;

export interface ProcessorDeps {
  responder: Responder;
  recorder: ExchangeRecorder;
  /** Where ResponderContext.history() reads the IP's recent exchanges. */
  history: Pick<HistoryStore, 'list'>;
  logger: Logger;
  metrics: WorkerMetrics;
  /** RESPONDER_ATTEMPTS: attempts per message, when the job itself allows as many. */
  maxAttempts: number;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Handles one message: generate the response, then record the exchange (history entry and
 * counters) in one idempotent step. A redelivered job (worker crash, stalled lock, retry after
 * a failed write) runs this again and the record turns into a no-op.
 *
 * Jobs are enqueued allowing more attempts than RESPONDER_ATTEMPTS, so this decides when to
 * stop: after RESPONDER_ATTEMPTS attempts (or the job's own, if fewer), or at once on a
 * permanent failure. The last failure is recorded as `failed` with its error, then rethrown as
 * an UnrecoverableError (same message) so BullMQ fails the job instead of retrying it.
 * Earlier failures are rethrown as they are: the backoff strategy reads their Retry-After.
 */
export function createProcessor({ responder, recorder, history, logger, metrics, maxAttempts }: ProcessorDeps) {
  function isLastAttempt(job: Job<MessageJob>, error: unknown): boolean {
    // A write Redis refused is retried without using an attempt (retryRefusedRecords), however many are left.
    if (error instanceof RecordRefusedError) return false;
    return isPermanentFailure(error) || job.attemptsMade + 1 >= Math.min(job.opts.attempts ?? 1, maxAttempts);
  }

  async function record(ip: string, entry: HistoryEntry): Promise<void> {
    if (await recorder.record(ip, entry)) {
      metrics.endToEndSeconds.observe((Date.parse(entry.respondedAt) - Date.parse(entry.sendTime)) / 1000);
    }
  }

  function contextOf({ id, ip, sendTime }: MessageJob): ResponderContext {
    let recent: Promise<HistoryEntry[]> | undefined;
    return {
      id,
      ip,
      sendTime,
      // A job redelivered after its write would otherwise see itself as the previous exchange.
      history: () => (recent ??= history.list(ip, RECENT_HISTORY_ENTRIES).then((entries) => entries.filter((entry) => entry.id !== id))),
    };
  }

  async function attempt(job: Job<MessageJob>): Promise<void> {
    const { id, ip, message, sendTime } = job.data;
    let response: string;
    try {
      response = await responder.respond(message, contextOf(job.data));
    } catch (error) {
      if (!isLastAttempt(job, error)) throw error;
      const detail = error instanceof PermanentResponderError ? error.detail : undefined;
      logger.warn({ id, attempts: job.attemptsMade + 1, err: describe(error), detail }, 'message failed for good');
      await record(ip, { id, message, sendTime, status: 'failed', error: describe(error), respondedAt: new Date().toISOString() });
      throw error;
    }
    await record(ip, { id, message, sendTime, status: 'completed', response, respondedAt: new Date().toISOString() });
  }

  /**
   * Resolves with nothing: the history is the record of the answer, and a return value would
   * be stored again in the job and in BullMQ's completed event, for every message.
   */
  return async function processMessage(job: Job<MessageJob>): Promise<void> {
    const stopTimer = metrics.processingSeconds.startTimer();
    try {
      await attempt(job);
      stopTimer({ outcome: 'completed' });
      metrics.jobs.inc({ outcome: 'completed' });
    } catch (error) {
      const last = isLastAttempt(job, error);
      stopTimer({ outcome: last ? 'failed' : 'retrying' });
      metrics.jobs.inc({ outcome: last ? 'failed' : 'retrying' });
      if (last && !(error instanceof UnrecoverableError)) throw new UnrecoverableError(describe(error));
      throw error;
    }
  };
}
