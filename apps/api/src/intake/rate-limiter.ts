import { LuaScript, type KeySchema, type RedisClient } from '@msgpipe/shared';

const gcra = LuaScript.load(new URL('../../lua/rate-limit.lua', import.meta.url));
const PERIOD_MS = 60_000;

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
  resetSeconds: number;
}

/**
 * RATE_LIMIT_PER_MINUTE per client (IPv6: per /64), shared by every API process because the
 * state lives in Redis: one GCRA script, one round trip per request.
 */
export class RateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    readonly limitPerMinute: number,
  ) {}

  get enabled(): boolean {
    return this.limitPerMinute > 0;
  }

  async take(ip: string): Promise<RateDecision> {
    const reply = (await gcra.run(this.redis, [this.keys.rateLimit(ip)], [this.limitPerMinute, PERIOD_MS])) as number[];
    const [allowed = 0, remaining = 0, retryAfterMs = 0, resetMs = 0] = reply;
    return {
      allowed: allowed === 1,
      remaining,
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
      resetSeconds: Math.ceil(resetMs / 1000),
    };
  }
}

/** IETF RateLimit / RateLimit-Policy headers (draft-ietf-httpapi-ratelimit-headers). */
export function rateLimitHeaders(limitPerMinute: number, decision: RateDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `"per-ip";q=${limitPerMinute};w=60`,
    RateLimit: `"per-ip";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}
