import { LuaScript, type KeySchema, type RedisClient } from '@msgpipe/shared';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Services } from '../context.js';
import { errorResponse } from './error-response.js';
import { AppError } from './errors.js';
import { RATE_PERIOD_MS, rateDecisionOf, rateLimitHeaders } from '../intake/rate-limiter.js';

const takeRate = LuaScript.load(new URL('../../lua/take-rate.lua', import.meta.url));

export interface ReadBudgetDeps extends Pick<Services, 'redisWork'> {
  /** Whether the request carries the admin token (not counted as a failure when it does not: the route decides). */
  isAdmin(authorization: string | undefined): boolean;
  redis: RedisClient;
  keys: KeySchema;
  /** READ_RATE_LIMIT_PER_MINUTE; 0: reads are not limited. */
  limitPerMinute: number;
}

/**
 * The read budget: every read a client makes (its history, a message, a stream connect) takes
 * one from a per-client budget of its own, apart from the send budget, so reading never costs a
 * client its messages and polling cannot load Redis without bound. Kept in Redis, like the send
 * budget, so it holds over every API process. An admin's reads are not counted.
 */
export function readBudget({ redis, keys, limitPerMinute, isAdmin, redisWork }: ReadBudgetDeps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (limitPerMinute === 0 || isAdmin(c.req.header('authorization'))) return next();
    const key = keys.readRateLimit(c.get('clientIp'));
    const reply = (await redisWork(() => takeRate.run(redis, [key], [limitPerMinute, RATE_PERIOD_MS]))) as number[];
    const decision = rateDecisionOf(reply);
    const headers = rateLimitHeaders(limitPerMinute, decision, 'reads');
    if (!decision.allowed) {
      const refusal = new AppError('rate_limited', `At most ${limitPerMinute} reads a minute; try again later.`, decision.retryAfterSeconds);
      return errorResponse(c, refusal, headers);
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  });
}
