import { createRoute, z } from '@hono/zod-openapi';
import { KeySchema } from '@msgpipe/shared';
import type { Services } from '../context.js';
import { errorResponses, htmlPage } from '../openapi/responses.js';
import { ADMIN_ONLY } from '../openapi/security.js';
import { documentedRoutes } from '../openapi/validation.js';
import { loadOverview } from './overview.js';
import { renderLive, renderPage } from './render.js';
import { MAX_QUERY_CHARS, search } from './search.js';
import { renderSearchResult } from './search-view.js';

export const OPS_PATH = '/admin';

/** A search's HTTP status: the fragment says why either way, for a person to read. */
const SEARCH_STATUS = { message: 200, history: 200, 'no-message': 404, invalid: 400 } as const;

// The admin guard is the app's, in front of everything under OPS_PATH (app.ts).
const admin = { method: 'get' as const, tags: ['pages'], security: ADMIN_ONLY };
const refusals = errorResponses('unauthorized', 'auth_throttled', 'unavailable');
const page = createRoute({ ...admin, path: '/', summary: 'The ops page', responses: { 200: htmlPage('Counters, leaderboards and queues at a glance.'), ...refusals } });
const live = createRoute({ ...admin, path: '/live', summary: 'The ops page’s live part', responses: { 200: htmlPage('The fragment the ops page polls.'), ...refusals } });
const find = createRoute({
  ...admin,
  path: '/search',
  summary: 'The ops page’s search',
  request: {
    query: z.object({
      q: z.string().optional().openapi({ description: `A message id, or an IPv4 or IPv6 address (its newest history entries); at most ${MAX_QUERY_CHARS} characters.` }),
    }),
  },
  responses: {
    200: htmlPage('The message, or the address’s newest history entries, as an HTML fragment.'),
    400: htmlPage('Neither a message id nor an address: the fragment says why.'),
    404: htmlPage('No message with this id.'),
    ...refusals,
  },
});

/**
 * The ops page (`/admin`), the fragment it polls (`/admin/live`) and its search
 * (`/admin/search?q=`). The caller puts admin auth (and no-store) in front; Basic auth lets a
 * browser open it and keeps sending the credentials.
 */
export function opsPage(services: Services) {
  const sources = { ...services, keys: new KeySchema(services.config.redis.prefix) };
  return documentedRoutes()
    .openapi(page, async (c) => c.html(renderPage(await loadOverview(sources), c.get('secureHeadersNonce'))))
    .openapi(live, async (c) => c.html(renderLive(await loadOverview(sources))))
    .openapi(find, async (c) => {
      const result = await search(services, c.req.valid('query').q, { ip: c.get('clientIp'), admin: true });
      return c.html(renderSearchResult(result), SEARCH_STATUS[result.kind]);
    });
}
