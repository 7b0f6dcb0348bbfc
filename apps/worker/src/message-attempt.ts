import type { HistoryEntry, HistoryStore, Logger, MessageJob } from '@msgpipe/shared';
import type { WorkerMetrics } from './metrics.js';
import { failureReasonOf, PermanentResponderError } from './responders/errors.js';
import { knownReason } from './responders/failure-reasons.js';
import { responseOf, type Responder, type ResponderContext } from './responders/responder.js';

/** Exchanges a responder may see as the conversation so far (the openai responder does). */
export const RECENT_HISTORY_ENTRIES = 10;

/**
 * Writes a finished exchange, exactly once per message id: true when this call wrote it. An
 * ExchangeRecorder, or in the worker a GroupCommitRecorder in front of one.
 */
export interface ExchangeWriter {
  record(ip: string, entry: HistoryEntry): Promise<boolean>;
}

export interface AttemptDeps {
  responder: Responder;
  recorder: ExchangeWriter;
  /** Where ResponderContext.history() reads the IP's recent exchanges. */
  history: Pick<HistoryStore, 'list'>;
  logger: Logger;
  metrics: WorkerMetrics;
}

/** One attempt at one message; `attempt` counts from 1 over every job the message had. */
export type MessageAttempt = (message: MessageJob, attempt: number, isLast: (error: unknown) => boolean) => Promise<void>;

export const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Generates the response to a message, then records the exchange (history entry and counters)
 * in one idempotent step: a message run again (worker crash, stalled lock, retry after a failed
 * write) turns the record into a no-op. A failure on the attempt `isLast` says is the last is
 * recorded as `failed` with its reason (the sender reads it: see failure-reasons.ts), its detail
 * logged; either way the error is thrown for the caller to retry or end the message.
 */
export function createMessageAttempt({ responder, recorder, history, logger, metrics }: AttemptDeps): MessageAttempt {
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
      // A message run again after its write would otherwise see itself as the previous exchange.
      history: () => (recent ??= history.list(ip, RECENT_HISTORY_ENTRIES).then((entries) => entries.filter((entry) => entry.id !== id))),
    };
  }

  return async (data, attempt, isLast) => {
    const { id, ip, message, sendTime, requestId } = data;
    let response: string;
    try {
      // Handed on by a batch, which logged the failure's detail.
      if (data.failure !== undefined) throw new PermanentResponderError(data.failure, { reason: knownReason(data.failure) });
      response = responseOf(await responder.respond(message, contextOf(data)));
    } catch (error) {
      if (!isLast(error)) throw error;
      const detail = error instanceof PermanentResponderError ? error.detail : undefined;
      logger.warn({ id, requestId, attempts: attempt, err: describeError(error), detail }, 'message failed for good');
      await record(ip, { id, message, sendTime, status: 'failed', error: failureReasonOf(error), respondedAt: new Date().toISOString() });
      throw error;
    }
    await record(ip, { id, message, sendTime, status: 'completed', response, respondedAt: new Date().toISOString() });
    // At debug: one line per message is more than a busy worker should write by default.
    logger.debug({ id, requestId, attempts: attempt }, 'message answered');
  };
}
