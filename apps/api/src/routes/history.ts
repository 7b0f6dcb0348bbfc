import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { ApiError } from '../errors.js';

const DEFAULT_LIMIT = 20;

export function historyRoutes({ config, history, redisWork }: Services): Hono<AppEnv> {
  const maxLimit = config.history.maxEntries;

  function parseLimit(raw: string | undefined): number {
    if (raw === undefined) return Math.min(DEFAULT_LIMIT, maxLimit);
    const limit = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= maxLimit)) {
      throw new ApiError(400, 'invalid_query', `limit must be an integer from 1 to ${maxLimit}.`);
    }
    return limit;
  }

  return new Hono<AppEnv>()
    .get('/history', async (c) => {
      const ip = c.get('clientIp');
      const limit = parseLimit(c.req.query('limit'));
      const messages = await redisWork(() => history.list(ip, limit));
      return c.json({ ip, messages });
    })
    .delete('/history', async (c) => {
      await redisWork(() => history.erase(c.get('clientIp')));
      return c.body(null, 204);
    });
}
