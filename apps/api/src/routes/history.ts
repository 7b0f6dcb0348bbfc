import { createRoute, z } from '@hono/zod-openapi';
import { normalizeIp } from '@msgpipe/shared';
import type { Services } from '../context.js';
import { errorResponses, jsonBody, RATE_LIMIT_HEADERS } from '../openapi/responses.js';
import { HistorySchema } from '../openapi/schemas.js';
import { ADMIN_ONLY, ADMIN_OPTIONAL } from '../openapi/security.js';
import { documentedRoutes } from '../openapi/validation.js';

const DEFAULT_LIMIT = 20;

/** The IP of a path as the API shows IPs; the `-` form of key names is accepted too. */
const ipOfPath = (raw: string) => normalizeIp(raw.includes(':') ? raw : raw.replaceAll('-', ':'));

const IpParams = z.object({
  ip: z
    .string()
    .refine((raw) => ipOfPath(raw) !== undefined, { error: (issue) => `"${String(issue.input).slice(0, 100)}" is not an IPv4 or IPv6 address.` })
    .openapi({ description: 'IPv4 or IPv6 (`:` or, as in key names, `-`).', example: '203.0.113.7' }),
});

const erased = { 204: { description: 'Erased (or there was nothing to erase).' } };

/**
 * The caller's own history (`/history`) and, for admins, any IP's (`/ips/{ip}/history`).
 * Erasing removes the history and the IP's place on the leaderboards and in the online set.
 */
export function historyRoutes({ config, history, stats, adminOnly, redisWork }: Services) {
  const maxLimit = config.history.maxEntries;
  const limitRange = `limit must be an integer from 1 to ${maxLimit}.`;
  const LimitQuery = z.object({
    limit: z
      .string()
      .regex(/^\d{1,6}$/, limitRange)
      .transform(Number)
      .pipe(z.int().min(1, limitRange).max(maxLimit, limitRange))
      .optional()
      .openapi({ type: 'integer', minimum: 1, maximum: maxLimit, default: Math.min(DEFAULT_LIMIT, maxLimit), description: 'Newest first, at most this many.' }),
  });
  const listed = { 200: jsonBody(HistorySchema, 'The history, newest first.') };

  const own = { tags: ['history'], path: '/history' as const };
  const readOwn = createRoute({
    ...own,
    method: 'get',
    summary: 'Your own history',
    security: ADMIN_OPTIONAL,
    request: { query: LimitQuery },
    responses: { 200: { ...listed[200], headers: z.object(RATE_LIMIT_HEADERS) }, ...errorResponses('invalid_query', 'cross_site_request', 'rate_limited', 'unavailable') },
  });
  const eraseOwn = createRoute({
    ...own,
    method: 'delete',
    summary: 'Erase your own history',
    responses: { ...erased, ...errorResponses('cross_site_request', 'unavailable') },
  });
  const admin = { tags: ['admin'], path: '/ips/{ip}/history' as const, security: ADMIN_ONLY, middleware: adminOnly };
  const adminErrors = ['unauthorized', 'cross_site_request', 'auth_throttled', 'unavailable'] as const;
  const readAny = createRoute({
    ...admin,
    method: 'get',
    summary: 'Any address’s history',
    request: { params: IpParams, query: LimitQuery },
    responses: { ...listed, ...errorResponses('invalid_ip', 'invalid_query', ...adminErrors) },
  });
  const eraseAny = createRoute({
    ...admin,
    method: 'delete',
    summary: 'Erase any address’s history',
    request: { params: IpParams },
    responses: { ...erased, ...errorResponses('invalid_ip', ...adminErrors) },
  });

  async function historyOf(ip: string, limit = Math.min(DEFAULT_LIMIT, maxLimit)) {
    return { ip, messages: await redisWork(() => history.list(ip, limit)) };
  }

  async function erase(ip: string): Promise<void> {
    await redisWork(async () => {
      // Two steps (the IP's slot, then the stats slot): an erasure that fails half-way is
      // simply repeated by the client; both steps are idempotent.
      await history.erase(ip);
      await stats.forget(ip);
    });
  }

  /** A valid path's IP in the API's form (the schema has refused any other). */
  const pathIp = (raw: string) => ipOfPath(raw) ?? raw;

  return documentedRoutes()
    .openapi(readOwn, async (c) => c.json(await historyOf(c.get('clientIp'), c.req.valid('query').limit), 200))
    .openapi(eraseOwn, async (c) => {
      await erase(c.get('clientIp'));
      return c.body(null, 204);
    })
    .openapi(readAny, async (c) => c.json(await historyOf(pathIp(c.req.valid('param').ip), c.req.valid('query').limit), 200))
    .openapi(eraseAny, async (c) => {
      await erase(pathIp(c.req.valid('param').ip));
      return c.body(null, 204);
    });
}
