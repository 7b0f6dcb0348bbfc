import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { AppError } from '../errors.js';

const DEFAULT_TOP = 10;
const MAX_TOP = 100;

/** `GET /v1/stats` (admin): counters, leaderboards and queue depth, in SPEC's shape. */
export function statsRoutes({ stats, queues, adminOnly, redisWork }: Services): Hono<AppEnv> {
  function parseTop(raw: string | undefined): number {
    if (raw === undefined) return DEFAULT_TOP;
    const top = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
    if (!(top >= 1 && top <= MAX_TOP)) throw new AppError('invalid_query', `top must be an integer from 1 to ${MAX_TOP}.`);
    return top;
  }

  return new Hono<AppEnv>().get('/stats', adminOnly, async (c) => {
    const top = parseTop(c.req.query('top'));
    const [snapshot, depth] = await redisWork(() => Promise.all([stats.read(top), queues.counts()]));
    return c.json({ ...snapshot, queue: depth.total });
  });
}
