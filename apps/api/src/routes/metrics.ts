import { Hono } from 'hono';
import { adminOnly } from '../admin-only.js';
import type { AppEnv, Services } from '../context.js';

/**
 * `GET /metrics`: Prometheus text, behind the admin token (scrapers send it as a bearer).
 * Served while Redis cannot be reached too, to report just that (msgpipe_redis_up 0).
 */
export function metricsRoutes({ metrics, authenticateAdmin }: Services): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/metrics', adminOnly(authenticateAdmin, { admitWithoutRedis: true }), async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
}
