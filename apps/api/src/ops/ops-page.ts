import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { loadOverview } from './overview.js';
import { renderLive, renderPage } from './render.js';

export const OPS_PATH = '/admin';

/**
 * The ops page (`/admin`) and the fragment it polls (`/admin/live`). The caller puts admin
 * auth (and no-store) in front; Basic auth lets a browser open it and keeps sending the
 * credentials.
 */
export function opsPage(services: Services): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/', async (c) => c.html(renderPage(await loadOverview(services), c.get('secureHeadersNonce'))))
    .get('/live', async (c) => c.html(renderLive(await loadOverview(services))));
}
