import type { KeySchema, RedisClient } from '@msgpipe/shared';
import type { Services } from '../context.js';
import { UnavailableError } from '../http/errors.js';

const WINDOW_MS = 60_000;

/**
 * Failed admin authentications per client IP (IPv6: per /64, like the rate limit), counted in
 * Redis so every API process sees the same count: a fixed window of a minute that begins with
 * the IP's first failure and expires with it. Once the IP has failed `maxPerMinute` times,
 * every admin attempt from it is refused until the window ends, the right token included:
 * were the right token let through, a guess that is right would stand out from the refusals
 * and the throttle would not slow guessing at all.
 *
 * Redis work runs under the request deadline (redisWork): an UnavailableError when Redis
 * cannot answer, for the caller to decide.
 */
export class AdminAuthThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly maxPerMinute: number,
    private readonly redisWork: Services['redisWork'],
  ) {}

  /** Seconds until the IP may try again, or 0 when it may now. */
  async waitSeconds(ip: string): Promise<number> {
    if (this.maxPerMinute === 0) return 0;
    const key = this.keys.adminAuthFailures(ip);
    const [failures, ttlMs] = await this.#run(() => this.redis.multi().get(key).pttl(key).exec());
    return this.#wait(Number(failures), Number(ttlMs));
  }

  /** Counts a failed authentication; the seconds until the IP may try again when it was one too many, else 0. */
  async failed(ip: string): Promise<number> {
    if (this.maxPerMinute === 0) return 0;
    const key = this.keys.adminAuthFailures(ip);
    // NX: later failures never extend the window, so a refused IP gets back in on time.
    const [failures, , ttlMs] = await this.#run(() => this.redis.multi().incr(key).pexpire(key, WINDOW_MS, 'NX').pttl(key).exec());
    return this.#wait(Number(failures) - 1, Number(ttlMs));
  }

  /** Whether `failures` before this attempt use up the minute: the seconds left in it, else 0. */
  #wait(failures: number, ttlMs: number): number {
    return failures >= this.maxPerMinute ? Math.max(1, Math.ceil(ttlMs / 1000)) : 0;
  }

  /** The replies of a MULTI, any command's error thrown. */
  async #run(transaction: () => Promise<Array<[Error | null, unknown]> | null>): Promise<unknown[]> {
    const replies = await this.redisWork(transaction);
    if (!replies) throw new UnavailableError(); // EXEC aborted: the connection went away mid-way
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }
}
