/** The rate limit's window: RATE_LIMIT_PER_MINUTE. */
export const RATE_PERIOD_MS = 60_000;

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
  resetSeconds: number;
}

/** A GCRA verdict as the admission script answers it: allowed (1|0), remaining, retry after and reset (ms). */
export function rateDecisionOf([allowed = 0, remaining = 0, retryAfterMs = 0, resetMs = 0]: readonly number[]): RateDecision {
  return {
    allowed: allowed === 1,
    remaining,
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    resetSeconds: Math.ceil(resetMs / 1000),
  };
}

/**
 * IETF RateLimit / RateLimit-Policy headers (draft-ietf-httpapi-ratelimit-headers), of the
 * send budget (`per-ip`) or another policy such as the read budget (`reads`).
 */
export function rateLimitHeaders(limitPerMinute: number, decision: RateDecision, policy = 'per-ip'): Record<string, string> {
  return {
    'RateLimit-Policy': `"${policy}";q=${limitPerMinute};w=60`,
    RateLimit: `"${policy}";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}
