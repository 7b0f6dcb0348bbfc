import { createMiddleware } from 'hono/factory';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../context.js';
import { DASHBOARD_PATH } from '../admin/dashboard.js';
import { DOCS_PATH } from '../pages/docs-page.js';
import { OPS_PATH } from '../ops/ops-page.js';

/**
 * Our own pages (the chat page, the ops page): every script and style is ours, inline ones
 * carry this answer's nonce (`c.get('secureHeadersNonce')`). No page may frame them, so no
 * page can trick an admin into clicking under a disguise.
 */
const PAGES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", NONCE],
  styleSrc: ["'self'", NONCE],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * bull-board's page, which we do not write: its scripts are files of its own (so no inline
 * script runs here either), but its markup has inline styles and it loads its fonts from
 * Google Fonts. A nonce would turn 'unsafe-inline' off, so this policy has none.
 */
const DASHBOARD = {
  ...PAGES,
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
  fontSrc: ["'self'", 'https://fonts.gstatic.com'],
};

const withPolicy = (contentSecurityPolicy: typeof PAGES) =>
  secureHeaders({
    contentSecurityPolicy,
    xFrameOptions: 'DENY', // frame-ancestors for browsers without CSP level 2
    // Our own origin keeps its referrer (Origin stays set on same-origin posts); other
    // sites learn nothing of admin URLs or message ids.
    referrerPolicy: 'same-origin',
    // TLS is the proxy's in front of us: whether a whole domain is HTTPS-only is its call.
    strictTransportSecurity: false,
  });

/**
 * What every other answer (JSON, metrics, health) gets: fixed headers, set without building a
 * policy or drawing a nonce per request. A JSON answer runs no script, so its CSP only says
 * that nothing may load and no page may frame it.
 */
const DATA_HEADERS: ReadonlyArray<[string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

/** The chat page, the API reference and everything under the ops page (its live part, the dashboard): HTML, and admin traffic. */
const isPage = (path: string) => path === '/' || path === DOCS_PATH || path === OPS_PATH || path.startsWith(`${OPS_PATH}/`);
const isDashboard = (path: string) => path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`);

/**
 * Security headers on every answer. HTML pages get hono's secureHeaders: a CSP that forbids
 * framing (with a nonce for our inline code), X-Frame-Options, nosniff, a referrer policy and
 * the rest of its defaults; the dashboard its own CSP. The other answers, the API's hot path,
 * get the fixed DATA_HEADERS: a nonce per message accepted cost more CPU than the message.
 */
export function securityHeaders() {
  const pages = withPolicy(PAGES);
  const dashboard = withPolicy(DASHBOARD);
  return createMiddleware<AppEnv>(async (c, next) => {
    const { path } = c.req;
    if (isPage(path)) return (isDashboard(path) ? dashboard : pages)(c, next);
    // Before the handler: c.json() takes them in as it builds the answer, where setting them on
    // the finished answer would make @hono/node-server build a full web Response for it.
    for (const [name, value] of DATA_HEADERS) c.header(name, value);
    await next();
  });
}
