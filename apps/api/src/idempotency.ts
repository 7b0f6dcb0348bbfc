import { createHash, randomBytes } from 'node:crypto';
import { LuaScript, Retention, type KeySchema, type RedisClient } from '@msgpipe/shared';
import { ApiError } from './errors.js';

const releaseIfEqual = LuaScript.load(new URL('../lua/release-if-equal.lua', import.meta.url));
const PENDING = 'pending:';
const MAX_KEY_LENGTH = 200;

/** What a first request with a key stored: enough to answer its repeats identically. */
export interface AcceptedMessage {
  id: string;
  ip: string;
  sendTime: string;
}

export type Claim =
  | { kind: 'claimed'; key: string; token: string }
  | { kind: 'repeat'; accepted: AcceptedMessage };

/**
 * SPEC's Idempotency-Key: the same key from the same IP within 24 h returns the first
 * message and enqueues nothing. A key is claimed (short TTL) before the enqueue and confirmed
 * after it, so a concurrent repeat never answers 202 for a message that is not in Redis.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
  ) {}

  static validate(key: string): void {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
      throw new ApiError(400, 'invalid_idempotency_key', `Idempotency-Key must be 1–${MAX_KEY_LENGTH} visible ASCII characters.`);
    }
  }

  async claim(ip: string, clientKey: string): Promise<Claim> {
    const key = this.keys.idempotency(ip, createHash('sha256').update(clientKey).digest('hex').slice(0, 32));
    const token = `${PENDING}${randomBytes(8).toString('hex')}`;
    const previous = await this.redis.set(key, token, 'EX', Retention.idempotencyPendingSeconds, 'NX', 'GET');
    if (previous === null) return { kind: 'claimed', key, token };
    if (previous.startsWith(PENDING)) {
      throw new ApiError(409, 'request_in_progress', 'A request with this Idempotency-Key is still being processed.', {
        'Retry-After': '1',
      });
    }
    return { kind: 'repeat', accepted: JSON.parse(previous) as AcceptedMessage };
  }

  async confirm(claim: { key: string }, accepted: AcceptedMessage): Promise<void> {
    await this.redis.set(claim.key, JSON.stringify(accepted), 'EX', Retention.idempotencySeconds);
  }

  /** Frees a claim whose request failed, so the client's retry can enqueue. */
  async release(claim: { key: string; token: string }): Promise<void> {
    await releaseIfEqual.run(this.redis, [claim.key], [claim.token]);
  }
}
