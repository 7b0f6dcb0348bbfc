import { ExchangeRecorder, isRedisUnavailableError, type ExchangeToRecord } from '@msgpipe/shared';
import { DelayedError, type Job } from 'bullmq';

/** Redis refused to write the exchange (OOM, LOADING, READONLY, …): nobody's fault but Redis's, and passing. */
export class RecordRefusedError extends Error {
  constructor(cause: Error) {
    super(`Redis refused the history write: ${cause.message}`, { cause });
    this.name = 'RecordRefusedError';
  }
}

/**
 * The exchange recorder, telling a write Redis refused apart from any other failure. record()
 * goes through recordMany too, so every write is covered; a refused call fails each of its
 * messages with the same RecordRefusedError.
 */
export class RefusalAwareRecorder extends ExchangeRecorder {
  override async recordMany(items: readonly ExchangeToRecord[], now?: number): Promise<boolean[]> {
    try {
      return await super.recordMany(items, now);
    } catch (error) {
      throw isRedisUnavailableError(error) ? new RecordRefusedError(error as Error) : error;
    }
  }
}

/** How long a message waits before trying again after Redis refused its write: 1–2 s. */
const retryDelayMs = () => 1000 + Math.floor(Math.random() * 1000);

/**
 * A refused write must not cost the message an attempt: with Redis at maxmemory its record
 * script is refused (its first command allocates) while BullMQ's own scripts still run (theirs
 * start by removing), so were each refusal a failed attempt, after RESPONDER_ATTEMPTS the
 * message would fail for good with no history entry: accepted, then lost. Instead the job goes
 * back to `delayed` without using an attempt (BullMQ's DelayedError), as often as it takes; the
 * responder is asked again when it comes back.
 * The processor leaves RecordRefusedError alone on every attempt, the last one included.
 */
export function retryRefusedRecords<J extends Job, R>(processor: (job: J) => Promise<R>) {
  return async (job: J, token?: string): Promise<R> => {
    try {
      return await processor(job);
    } catch (error) {
      if (!(error instanceof RecordRefusedError) || token === undefined) throw error;
      await job.moveToDelayed(Date.now() + retryDelayMs(), token);
      throw new DelayedError();
    }
  };
}
