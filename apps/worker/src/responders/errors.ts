import { UnrecoverableError } from 'bullmq';
import { FailureReason } from './failure-reasons.js';

/**
 * A failure that may go away: a timeout, a network error, HTTP 408, 429 or 5xx. Its message is
 * for the log; `reason` is what the sender is told if it is the message's last attempt.
 */
export class TransientResponderError extends Error {
  override readonly name = 'TransientResponderError';
  /** How long the upstream asked us to wait (its Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  readonly reason: FailureReason;

  constructor(message: string, options: { retryAfterMs?: number | undefined; reason?: FailureReason; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.reason = options.reason ?? FailureReason.failed;
  }
}

/**
 * A failure that trying again cannot fix: another 4xx, a malformed reply, no matching rule.
 * Its message and `detail` are for the log; `reason` is what the sender is told.
 */
export class PermanentResponderError extends Error {
  override readonly name = 'PermanentResponderError';
  /** For the log, not the history: e.g. the start of an upstream's error body. */
  readonly detail: string | undefined;
  readonly reason: FailureReason;

  constructor(message: string, options: { detail?: string | undefined; reason?: FailureReason; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.detail = options.detail;
    this.reason = options.reason ?? FailureReason.failed;
  }
}

/** What a message's sender is told it failed of: a responder error's reason, else the generic one. */
export function failureReasonOf(error: unknown): FailureReason {
  return error instanceof TransientResponderError || error instanceof PermanentResponderError ? error.reason : FailureReason.failed;
}

/** Permanent failures, BullMQ's own UnrecoverableError included (a responder may throw it). */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof PermanentResponderError || error instanceof UnrecoverableError;
}

/** The upstream's requested wait, if the error carries one (see TransientResponderError). */
export function retryAfterMsOf(error: unknown): number | undefined {
  return error instanceof TransientResponderError ? error.retryAfterMs : undefined;
}

/**
 * Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds
 * from `now`, never negative; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP date names its month; without this, Date.parse would read "1.5" as a year.
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** HTTP statuses worth retrying: the request may well succeed later. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
