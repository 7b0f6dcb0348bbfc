import type { ExchangeRecorder, HistoryEntry, Logger, MessageJob } from '@msgpipe/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import type { WorkerMetrics } from './metrics.js';
import type { Responder } from './responder.js';

export interface ProcessorDeps {
  responder: Responder;
  recorder: ExchangeRecorder;
  logger: Logger;
  metrics: WorkerMetrics;
}

/** True when BullMQ will not try this job again after this error. */
function isLastAttempt(job: Job<MessageJob>, error: unknown): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Handles one message: generate the response, then record the exchange (history entry and
 * counters) in one idempotent step. A redelivered job (worker crash, stalled lock, retry after
 * a failed write) runs this again and the record turns into a no-op.
 * A message whose last attempt fails is recorded as `failed`, with its error, then rethrown so
 * BullMQ records the failure too.
 */
export function createProcessor({ responder, recorder, logger, metrics }: ProcessorDeps) {
  async function record(ip: string, entry: HistoryEntry): Promise<void> {
    if (await recorder.record(ip, entry)) {
      metrics.endToEndSeconds.observe((Date.parse(entry.respondedAt) - Date.parse(entry.sendTime)) / 1000);
    }
  }

  async function attempt(job: Job<MessageJob>): Promise<HistoryEntry> {
    const { id, ip, message, sendTime } = job.data;
    let entry: HistoryEntry;
    try {
      const response = await responder.respond(message, { ip, sendTime });
      entry = { id, message, sendTime, status: 'completed', response, respondedAt: new Date().toISOString() };
    } catch (error) {
      if (!isLastAttempt(job, error)) throw error;
      logger.warn({ id, attempts: job.attemptsMade + 1, err: describe(error) }, 'message failed for good');
      await record(ip, { id, message, sendTime, status: 'failed', error: describe(error), respondedAt: new Date().toISOString() });
      throw error;
    }
    await record(ip, entry);
    return entry;
  }

  return async function processMessage(job: Job<MessageJob>): Promise<HistoryEntry> {
    const stopTimer = metrics.processingSeconds.startTimer();
    try {
      const entry = await attempt(job);
      stopTimer({ outcome: 'completed' });
      metrics.jobs.inc({ outcome: 'completed' });
      return entry;
    } catch (error) {
      const outcome = isLastAttempt(job, error) ? 'failed' : 'retrying';
      stopTimer({ outcome });
      metrics.jobs.inc({ outcome });
      throw error;
    }
  };
}
