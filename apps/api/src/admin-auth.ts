import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './context.js';
import { errorResponse } from './error-response.js';
import { AppError } from './errors.js';

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

const unauthorized = new AppError('unauthorized', 'Admin routes need the admin token (Bearer, or Basic password).');
const challenge = { 'WWW-Authenticate': 'Basic realm="msgpipe admin", charset="UTF-8"' };

/** Lets only admins through; 401 with a Basic challenge, so a browser asks for the token. */
export function adminAuth(isAdmin: (authorization: string | undefined) => boolean) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!isAdmin(c.req.header('authorization'))) return errorResponse(c, unauthorized, challenge);
    await next();
  });
}
