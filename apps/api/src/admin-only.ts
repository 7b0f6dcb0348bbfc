import { every } from 'hono/combine';
import type { MiddlewareHandler } from 'hono';
import { adminAuth } from './admin-auth.js';
import type { AppEnv } from './context.js';
import { refuseCrossSite } from './cross-site-guard.js';

/**
 * What stands in front of every admin route (the pages under /admin, the dashboard and its
 * API, /v1/stats, /v1/ips/…, /metrics), in order: a state-changing request from another
 * site is refused before anything else, then the admin token is checked.
 */
export function adminOnly(isAdmin: (authorization: string | undefined) => boolean): MiddlewareHandler<AppEnv> {
  return every(refuseCrossSite(), adminAuth(isAdmin));
}
