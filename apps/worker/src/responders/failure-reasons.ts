/**
 * What a sender is told when their message failed for good: a short, fixed reason. The error's
 * own message, which may name an upstream's host, address, port or quote its body, goes to the
 * worker's log with the message id, never into a history (which its sender reads).
 */
export const FailureReason = {
  timeout: 'the responder did not answer in time',
  unreachable: 'the responder could not be reached',
  unavailable: 'the responder is unavailable',
  refused: 'the responder refused the message',
  unreadable: 'the responder gave an answer that could not be read',
  tooLong: "the responder's answer was too long",
  noRule: 'no rule matches the message',
  failed: 'the responder failed',
  /** BullMQ gave up on its job: the workers taking it stopped too often (see MessageJobWorker). */
  abandoned: 'no worker could finish answering it',
} as const;

export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

const KNOWN: ReadonlySet<string> = new Set(Object.values(FailureReason));

/**
 * A reason carried in job data (a message of a batch handed on to fail alone) as a reason, if
 * it is one: anything else, an older worker's detail or data someone wrote by hand, is shown
 * as the generic reason.
 */
export function knownReason(text: string): FailureReason {
  return KNOWN.has(text) ? (text as FailureReason) : FailureReason.failed;
}
