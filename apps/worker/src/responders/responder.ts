import type { Config, HistoryEntry } from '@msgpipe/shared';

export type ResponderKind = Config['responder']['kind'];

/** What a responder knows about a message besides its text. */
export interface ResponderContext {
  /** The message id: the same on every attempt, so an upstream can deduplicate retries. */
  id: string;
  ip: string;
  /** ISO 8601 UTC. */
  sendTime: string;
  /**
   * The IP's recent exchanges, newest first, without this message. Read from Redis on the
   * first call only: most responders never need it.
   */
  history(): Promise<HistoryEntry[]>;
}

/** An upstream's answer with its Cache-Control, which says who else may be given it (cache-policy.ts). */
export interface Answer {
  response: string;
  cacheControl: string | null;
}

/** A responder's result: the response, or an Answer. A bare response caches as one without Cache-Control. */
export type Reply = string | Answer;

export const responseOf = (reply: Reply): string => (typeof reply === 'string' ? reply : reply.response);

/**
 * Generates the response to one message. Throw TransientResponderError to have the attempt
 * retried (after its Retry-After, if any), PermanentResponderError to fail the message at once;
 * any other error counts as transient.
 */
export interface Responder {
  respond(message: string, context: ResponderContext): Promise<Reply>;
}
