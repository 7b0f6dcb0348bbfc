import type { HonoRequest } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context.js';
import { errorResponse } from './error-response.js';
import { AppError } from './errors.js';

/** Methods that only read: another site may link to an admin page, and the browser asks for the token. */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser sent this request for a page of another origin. `Sec-Fetch-Site` decides
 * when present: the browser sets it and no page can. Browsers without it send `Origin` on
 * every non-GET request, so that is compared with the `Host` the request went to (host and
 * port, not the scheme, which a TLS-terminating proxy changes). A request with neither
 * header is not from a browser (curl, a script, Prometheus) and carries no ambient
 * credentials to abuse.
 */
export function isCrossSite(request: HonoRequest): boolean {
  const site = request.header('sec-fetch-site');
  if (site !== undefined) return site.trim().toLowerCase() !== 'same-origin';
  const origin = request.header('origin');
  if (origin === undefined) return false;
  return hostOf(origin) !== request.header('host')?.trim().toLowerCase();
}

/** The host (and port) of an `Origin` header; undefined for `null` and anything unreadable. */
export function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host; // `null` (sandboxed frames, file://) throws: cross-site
  } catch {
    return undefined;
  }
}

const refusal = new AppError(
  'cross_site_request',
  'Admin requests that change something must come from this origin’s own pages (Origin / Sec-Fetch-Site).',
);

/**
 * Refuses state-changing requests that a page of another site made a browser send: the
 * browser attaches the admin's Basic credentials to any request for this origin, and a
 * `text/plain` POST needs no CORS preflight. Checked on every method but GET, HEAD and
 * OPTIONS, whatever the body's type: bull-board reads any body as JSON, so hono/csrf (which
 * checks form and text bodies only, trusting a preflight for the rest) would not do.
 */
export function refuseCrossSite() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!READ_ONLY_METHODS.has(c.req.method) && isCrossSite(c.req)) return errorResponse(c, refusal);
    await next();
  });
}
