import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { createMiddleware } from 'hono/factory';
import { adminAuth, type AdminAuthentication } from './admin-auth.js';
import type { AppEnv } from '../context.js';
import { refuseCrossSite } from '../http/cross-site-guard.js';

/** Admin answers (stats, histories, the pages) stay out of every cache, the browser's included. */
const noStore = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.res.headers.set('Cache-Control', 'no-store');
});

/**
 * What stands in front of every admin route (the pages under /admin, the dashboard and its
 * API, /v1/stats, /v1/ips/…, /metrics), in order: every answer is marked no-store, a
 * state-changing request from another site is refused, then the admin token is checked (and
 * failures throttled per IP).
 */
export function adminOnly(authenticate: AdminAuthentication, options: { admitWithoutRedis?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return every(noStore, refuseCrossSite(), adminAuth(authenticate, options));
}
