import { createRoute, z } from '@hono/zod-openapi';
import type { Services } from '../context.js';
import { errorResponses, jsonBody } from '../openapi/responses.js';
import { documentedRoutes } from '../openapi/validation.js';

const live = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the process answers',
  tags: ['operations'],
  responses: { 200: jsonBody(z.object({ status: z.literal('ok') }), 'Alive.'), ...errorResponses() },
});

const ready = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: Redis answers',
  tags: ['operations'],
  responses: { 200: jsonBody(z.object({ status: z.literal('ready') }), 'Ready.'), ...errorResponses('unavailable') },
});

export function healthRoutes({ redis, redisWork }: Services) {
  return documentedRoutes()
    .openapi(live, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(ready, async (c) => {
      await redisWork(() => redis.ping());
      return c.json({ status: 'ready' as const }, 200);
    });
}
