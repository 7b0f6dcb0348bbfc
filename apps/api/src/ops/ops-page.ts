import { KeySchema } from '@msgpipe/shared';
import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { loadOverview } from './overview.js';
import { renderLive, renderPage } from './render.js';
import { search } from './search.js';
import { renderSearchResult } from './search-view.js';

export const OPS_PATH = '/admin';

/** A search's HTTP status: the fragment says why either way, for a person to read. */
const SEARCH_STATUS = { message: 200, history: 200, 'no-message': 404, invalid: 400 } as const;

/**
 * The ops page (`/admin`), the fragment it polls (`/admin/live`) and its search
 * (`/admin/search?q=`). The caller puts admin auth (and no-store) in front; Basic auth lets a
 * browser open it and keeps sending the credentials.
 */
export function opsPage(services: Services): Hono<AppEnv> {
  const sources = { ...services, keys: new KeySchema(services.config.redis.prefix) };
  return new Hono<AppEnv>()
    .get('/', async (c) => c.html(renderPage(await loadOverview(sources), c.get('secureHeadersNonce'))))
    .get('/live', async (c) => c.html(renderLive(await loadOverview(sources))))
    .get('/search', async (c) => {
      const result = await search(services, c.req.query('q'), { ip: c.get('clientIp'), admin: true });
      return c.html(renderSearchResult(result), SEARCH_STATUS[result.kind]);
    });
}
