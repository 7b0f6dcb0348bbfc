import type { HonoRequest } from 'hono';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context.js';
import { errorResponse } from './error-response.js';
import { hostOf, READ_ONLY_METHODS } from './cross-site-guard.js';
import { AppError } from './errors.js';


/** What a page of a listed origin may send and read: the public API's own headers. */
const ALLOWED_METHODS = ['GET', 'POST', 'DELETE'];
const ALLOWED_HEADERS = ['Content-Type', 'Idempotency-Key', 'Last-Event-ID'];
const EXPOSED_HEADERS = ['Location', 'Retry-After', 'RateLimit', 'RateLimit-Policy'];
/** How long a browser may keep a preflight's answer (Chromium keeps at most 2 h). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the origins of CORS_ORIGINS: their pages may call the API and read its answers
 * (preflights included); any other origin gets no CORS header, so its page can read nothing.
 * No credentials: the API knows a client by its address, not by a cookie.
 */
export function listedOriginsCors(origins: readonly string[]) {
  const listed = new Set(origins);
  const answerCors = cors({
    origin: (origin) => (listed.has(origin) ? origin : null),
    allowMethods: (origin) => (listed.has(origin) ? ALLOWED_METHODS : []),
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  // Only a listed origin's requests get CORS headers: the rest (curl, servers, our own page,
  // and every other site) skip the middleware, which would otherwise add headers to the
  // finished answer of every message.
  return createMiddleware<AppEnv>((c, next) => {
    const origin = c.req.header('origin');
    return origin !== undefined && listed.has(origin) ? answerCors(c, next) : next();
  });
}

/**
 * Whether a browser sent this request for a page of another origin. `Sec-Fetch-Site` decides
 * when present: the browser sets it and no page can (`none`, a request the user started, counts
 * as the page's own only for a read). Browsers without it send `Origin` on every request a page
 * makes that changes something, compared with the `Host` the request went to (host and port,
 * not the scheme, which a TLS-terminating proxy changes). A request with neither header is not
 * a browser's.
 */
function fromAnotherOrigin(request: HonoRequest): boolean {
  const site = request.header('sec-fetch-site')?.trim().toLowerCase();
  if (site !== undefined) return site !== 'same-origin' && !(site === 'none' && READ_ONLY_METHODS.has(request.method));
  const origin = request.header('origin');
  return origin !== undefined && hostOf(origin) !== request.header('host')?.trim().toLowerCase();
}

/** A user following a link (or a frame's navigation): the browser shows the answer to the user, and no page reads it. */
function isNavigation(request: HonoRequest): boolean {
  const dest = request.header('sec-fetch-dest');
  return READ_ONLY_METHODS.has(request.method) && request.header('sec-fetch-mode') === 'navigate' && dest !== 'object' && dest !== 'embed';
}

const refusal = new AppError(
  'cross_site_request',
  'Requests from pages of other sites are refused, unless the site is listed in CORS_ORIGINS.',
);

/**
 * Refuses what a page of an unlisted origin makes its visitors' browsers send: a form POST
 * (no preflight) would spend the visitor's budget and write into the visitor's history, and
 * `<img>` or `<script>` loads would spend the visitor's reads and hold the visitor's streams.
 * Refused before anything touches Redis. Links followed to the API, and preflights (which
 * `listedOriginsCors` answers), go through.
 */
export function refuseUnlistedOrigins(origins: readonly string[]) {
  const listed = new Set(origins);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method === 'OPTIONS' || !fromAnotherOrigin(c.req) || isNavigation(c.req)) return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && listed.has(origin)) return next();
    return errorResponse(c, refusal);
  });
}
