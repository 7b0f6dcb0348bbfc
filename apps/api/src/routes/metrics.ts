import { createRoute, z } from '@hono/zod-openapi';
import { adminOnly } from '../admin/admin-only.js';
import type { Services } from '../context.js';
import { errorResponses } from '../openapi/responses.js';
import { ADMIN_ONLY } from '../openapi/security.js';
import { documentedRoutes } from '../openapi/validation.js';

/**
 * `GET /metrics`: Prometheus text, behind the admin token (scrapers send it as a bearer).
 * Served while Redis cannot be reached too, to report just that (msgpipe_redis_up 0).
 */
export function metricsRoutes({ metrics, authenticateAdmin }: Services) {
  const scrape = createRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    description: 'Answered while Redis is down too, to report just that (`msgpipe_redis_up 0`).',
    tags: ['operations'],
    security: ADMIN_ONLY,
    middleware: adminOnly(authenticateAdmin, { admitWithoutRedis: true }),
    responses: {
      200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: z.string() } } },
      ...errorResponses('unauthorized', 'auth_throttled'),
    },
  });
  return documentedRoutes().openapi(scrape, async (c) => {
    return c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });
}
