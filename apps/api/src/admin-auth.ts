import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './context.js';
import { ApiError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`, or HTTP Basic with any user name and
 * the token as password so a browser can open the dashboard. Compared in constant time (as
 * digests, so the length does not leak either). No token configured: nobody gets in.
 */
export function adminAuth(adminToken: string | undefined) {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  const unauthorized = new ApiError(401, 'unauthorized', 'Admin routes need the admin token (Bearer, or Basic password).', {
    'WWW-Authenticate': 'Basic realm="msgpipe admin", charset="UTF-8"',
  });

  function presented(header: string | undefined): string | undefined {
    const [scheme = '', credentials = ''] = (header ?? '').trim().split(/\s+/, 2);
    if (/^bearer$/i.test(scheme)) return credentials;
    if (!/^basic$/i.test(scheme)) return undefined;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }

  return createMiddleware<AppEnv>(async (c, next) => {
    const token = presented(c.req.header('authorization'));
    if (!expected || token === undefined || !timingSafeEqual(digest(token), expected)) throw unauthorized;
    await next();
  });
}
