import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AdminAuthThrottle } from './admin-auth-throttle.js';
import type { AppEnv } from '../context.js';
import { errorResponse } from '../http/error-response.js';
import { AppError, UnavailableError } from '../http/errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The token an Authorization header presents: Bearer, or the password of HTTP Basic. */
function presentedToken(header: string | undefined): string | undefined {
  const [scheme = '', credentials = ''] = (header ?? '').trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return credentials;
  if (!/^basic$/i.test(scheme)) return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/**
 * Whether an Authorization header carries the admin token: `Bearer <ADMIN_TOKEN>`, or HTTP
 * Basic with any user name and the token as password so a browser can open the admin pages.
 * Compared in constant time (as digests, so the length does not leak either). No token
 * configured: nobody is admin.
 */
export function adminCheck(adminToken: string | undefined): (authorization: string | undefined) => boolean {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return (authorization) => {
    const token = presentedToken(authorization);
    return expected !== undefined && token !== undefined && timingSafeEqual(digest(token), expected);
  };
}

/**
 * Whether a request carries the admin token, counting a wrong one against its IP (a request
 * without credentials is no attempt: a browser's first visit sends none). Throws
 * `429 auth_throttled` while the IP has used up its failures, and `503 unavailable` when
 * Redis cannot say whether it has, unless `admitWithoutRedis`: for /metrics, which reports
 * the outage itself. A wrong token is refused (false) whether or not Redis could count it.
 */
export type AdminAuthentication = (c: Context<AppEnv>, options?: { admitWithoutRedis?: boolean }) => Promise<boolean>;

export function adminAuthentication(isAdmin: (authorization: string | undefined) => boolean, throttle: AdminAuthThrottle): AdminAuthentication {
  const throttled = (seconds: number) => new AppError('auth_throttled', 'Too many failed admin authentications from your address; try again later.', seconds);
  return async (c, { admitWithoutRedis = false } = {}) => {
    const authorization = c.req.header('authorization');
    const ip = c.get('clientIp');
    if (isAdmin(authorization)) {
      const wait = await throttle.waitSeconds(ip).catch((error: unknown) => {
        if (admitWithoutRedis && error instanceof UnavailableError) return 0;
        throw error;
      });
      if (wait > 0) throw throttled(wait);
      return true;
    }
    if (authorization !== undefined) {
      const wait = await throttle.failed(ip).catch((error: unknown) => {
        if (error instanceof UnavailableError) return 0;
        throw error;
      });
      if (wait > 0) throw throttled(wait);
    }
    return false;
  };
}

const unauthorized = new AppError('unauthorized', 'Admin routes need the admin token (Bearer, or Basic password).');
const challenge = { 'WWW-Authenticate': 'Basic realm="msgpipe admin", charset="UTF-8"' };

/**
 * Lets only admins through; 401 with a Basic challenge, so a browser asks for the token.
 * `admitWithoutRedis`: see AdminAuthentication.
 */
export function adminAuth(authenticate: AdminAuthentication, options: { admitWithoutRedis?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    let admin: boolean;
    try {
      admin = await authenticate(c, options);
    } catch (error) {
      // Answered here, not thrown: the middleware before this one in adminOnly must still run.
      if (error instanceof AppError) return errorResponse(c, error);
      throw error;
    }
    if (!admin) return errorResponse(c, unauthorized, challenge);
    await next();
  });
}
