import { createRoute, z } from '@hono/zod-openapi';
import type { Services } from '../context.js';
import { errorResponses, jsonBody } from '../openapi/responses.js';
import { StatsSchema } from '../openapi/schemas.js';
import { ADMIN_ONLY } from '../openapi/security.js';
import { documentedRoutes } from '../openapi/validation.js';

const DEFAULT_TOP = 10;
const MAX_TOP = 100;
const TOP_RANGE = `top must be an integer from 1 to ${MAX_TOP}.`;

const TopQuery = z.object({
  top: z
    .string()
    .regex(/^\d{1,4}$/, TOP_RANGE)
    .transform(Number)
    .pipe(z.int().min(1, TOP_RANGE).max(MAX_TOP, TOP_RANGE))
    .optional()
    .openapi({ type: 'integer', minimum: 1, maximum: MAX_TOP, default: DEFAULT_TOP, description: 'Places on each leaderboard.' }),
});

/** `GET /v1/stats` (admin): counters, leaderboards and queue depth. */
export function statsRoutes({ stats, queues, adminOnly, redisWork }: Services) {
  const read = createRoute({
    method: 'get',
    path: '/stats',
    summary: 'Counters, leaderboards and queue depth',
    tags: ['admin'],
    security: ADMIN_ONLY,
    middleware: adminOnly,
    request: { query: TopQuery },
    responses: {
      200: jsonBody(StatsSchema, 'The counters now.'),
      ...errorResponses('invalid_query', 'unauthorized', 'cross_site_request', 'auth_throttled', 'unavailable'),
    },
  });
  return documentedRoutes().openapi(read, async (c) => {
    const { top = DEFAULT_TOP } = c.req.valid('query');
    const [snapshot, depth] = await redisWork(() => Promise.all([stats.read(top), queues.counts()]));
    return c.json({ ...snapshot, queue: depth.total }, 200);
  });
}
