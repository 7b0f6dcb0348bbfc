import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';

/** `GET /metrics`: Prometheus text, behind the admin token (scrapers send it as a bearer). */
export function metricsRoutes({ metrics, adminOnly }: Services): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/metrics', adminOnly, async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
}
