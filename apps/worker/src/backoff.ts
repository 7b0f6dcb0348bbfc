import type { MinimalJob } from 'bullmq';
import { retryAfterMsOf } from './responders/errors.js';

/** No retry waits longer than this on our own account… */
export const MAX_BACKOFF_MS = 30_000;
/** …and an upstream's Retry-After is honoured up to this: a bogus "come back tomorrow" must not park a message for a day. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;
/** The base when a job names no delay (MESSAGE_JOB_OPTIONS says 500). */
const DEFAULT_BASE_DELAY_MS = 500;

/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * min(cap, base · 2^(n-1)). The random half spreads retries of messages that failed together
 * (an upstream outage), the fixed half keeps any retry from coming back at once.
 */
export function exponentialBackoffMs(attemptsMade: number, baseDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function baseDelayOf(job: MinimalJob | undefined): number {
  const backoff = job?.opts.backoff;
  const delay = typeof backoff === 'number' ? backoff : backoff?.delay;
  return delay !== undefined && delay >= 0 ? delay : DEFAULT_BASE_DELAY_MS;
}

/**
 * The workers' `settings.backoffStrategy`. BullMQ calls it for backoff types it does not know
 * (MESSAGE_JOB_OPTIONS's `responder`; `fixed` and `exponential` stay BullMQ's own) with the
 * attempt that just failed (1 for the first) and the error the processor threw.
 * An upstream's Retry-After wins; otherwise exponential with jitter from the job's delay.
 */
export function responderBackoffStrategy(attemptsMade: number, _type?: string, error?: Error, job?: MinimalJob): number {
  const retryAfterMs = retryAfterMsOf(error);
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  // A message that failed in a batch before this job of its own goes on where it left off.
  const attemptsBefore = Number((job?.data as { attemptsBefore?: unknown } | undefined)?.attemptsBefore ?? 0) || 0;
  return exponentialBackoffMs(attemptsMade + attemptsBefore, baseDelayOf(job));
}
