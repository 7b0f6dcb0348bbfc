import type { HistoryEntry, HistoryStore, Logger, MessageJob } from '@msgpipe/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Responder } from './responder.js';

export interface ProcessorDeps {
  responder: Responder;
  history: HistoryStore;
  logger: Logger;
}

/** True when BullMQ will not try this job again after this error. */
function isLastAttempt(job: Job<MessageJob>, error: unknown): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Handles one message: generate the response, then write the exchange to the sender's
 * history in one atomic, idempotent step. A redelivered job (worker crash, stalled lock,
 * retry after a failed write) runs this again and the write turns into a no-op.
 * A message whose last attempt fails is written as `failed`, with its error, then rethrown
 * so BullMQ records the failure too.
 */
export function createProcessor({ responder, history, logger }: ProcessorDeps) {
  return async function processMessage(job: Job<MessageJob>): Promise<HistoryEntry> {
    const { id, ip, message, sendTime } = job.data;
    let entry: HistoryEntry;
    try {
      const response = await responder.respond(message, { ip, sendTime });
      entry = { id, message, sendTime, status: 'completed', response, respondedAt: new Date().toISOString() };
    } catch (error) {
      if (!isLastAttempt(job, error)) throw error;
      logger.warn({ id, attempts: job.attemptsMade + 1, err: describe(error) }, 'message failed for good');
      await history.record(ip, {
        id,
        message,
        sendTime,
        status: 'failed',
        error: describe(error),
        respondedAt: new Date().toISOString(),
      });
      throw error;
    }
    await history.record(ip, entry);
    return entry;
  };
}
