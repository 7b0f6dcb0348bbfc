import { createHash } from 'node:crypto';
import { Retention, type KeySchema, type RedisClient } from '@msgpipe/shared';
import { AppError } from '../http/errors.js';

/** Marks a message planned under a key whose enqueue has not been confirmed (yet, or ever). */
const UNCONFIRMED = 'pending:';
const MAX_KEY_LENGTH = 200;
/** 1–200 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_KEY_LENGTH}}$`);
export const INVALID_IDEMPOTENCY_KEY = `Idempotency-Key must be 1–${MAX_KEY_LENGTH} visible ASCII characters.`;

/** What a first request with a key stored: enough to answer its repeats identically. */
export interface AcceptedMessage {
  id: string;
  ip: string;
  sendTime: string;
}

/**
 * - `new`: the first request with this key: enqueue `accepted`, then confirm.
 * - `unconfirmed`: an earlier request planned `accepted` but its enqueue is not confirmed: it
 *   is still under way, or it ended in a timeout whose add may yet land. Enqueue it again,
 *   same id: BullMQ ignores a job id it holds, and the history write ignores an id it has
 *   written, so whichever add lands, the message is answered once.
 * - `repeat`: confirmed: answer with `accepted`, enqueue nothing.
 */
export type Claim =
  | { kind: 'new' | 'unconfirmed'; key: string; accepted: AcceptedMessage }
  | { kind: 'repeat'; key: string; accepted: AcceptedMessage };

/**
 * Idempotency-Key (docs/http-api.md): the same key from the same IP within 24 h returns the first
 * message and enqueues nothing. The message is planned (id, send time) and stored under the
 * key before the enqueue, so a retry after a 503, or a concurrent repeat, enqueues that same
 * message rather than a second one. The claim itself is part of the admission (admission.ts).
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
  ) {}

  static validate(key: string): void {
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) throw new AppError('invalid_idempotency_key', INVALID_IDEMPOTENCY_KEY);
  }

  /** The Redis key of a client's key (hashed: clients choose it). */
  keyOf(ip: string, clientKey: string): string {
    return this.keys.idempotency(ip, createHash('sha256').update(clientKey).digest('hex').slice(0, 32));
  }

  /** What a claim stores under the key until the enqueue is confirmed. */
  static unconfirmed(planned: AcceptedMessage): string {
    return `${UNCONFIRMED}${JSON.stringify(planned)}`;
  }

  /** The claim, from the value the key held before it was claimed ('' when none: the claim is new). */
  static claimOf(key: string, planned: AcceptedMessage, previous: string): Claim {
    if (previous === '') return { kind: 'new', key, accepted: planned };
    if (previous.startsWith(UNCONFIRMED)) {
      return { kind: 'unconfirmed', key, accepted: JSON.parse(previous.slice(UNCONFIRMED.length)) as AcceptedMessage };
    }
    return { kind: 'repeat', key, accepted: JSON.parse(previous) as AcceptedMessage };
  }

  /** The enqueue is acknowledged: repeats now answer without enqueueing. */
  async confirm(claim: { key: string }, accepted: AcceptedMessage): Promise<void> {
    await this.redis.set(claim.key, JSON.stringify(accepted), 'EX', Retention.idempotencySeconds);
  }
}
