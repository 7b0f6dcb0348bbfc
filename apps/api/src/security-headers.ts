import { createMiddleware } from 'hono/factory';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './context.js';
import { DASHBOARD_PATH } from './dashboard.js';

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
 * Security headers on every answer (hono's secureHeaders): a CSP that forbids framing,
 * X-Frame-Options, nosniff, a referrer policy and the rest of its defaults. The dashboard
 * under DASHBOARD_PATH gets its own CSP.
 */
export function securityHeaders() {
  const pages = withPolicy(PAGES);
  const dashboard = withPolicy(DASHBOARD);
  return createMiddleware<AppEnv>((c, next) => {
    const { path } = c.req;
    return (path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`) ? dashboard : pages)(c, next);
  });
}
