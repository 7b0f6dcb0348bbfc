import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';

export function healthRoutes({ redis, redisWork }: Services): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      await redisWork(() => redis.ping());
      return c.json({ status: 'ready' });
    });
}
