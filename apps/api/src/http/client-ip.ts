import { getConnInfo } from '@hono/node-server/conninfo';
import { normalizeIp, resolveClientIp, type TrustedProxies } from '@msgpipe/shared';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context.js';
import { AppError } from './errors.js';

/**
 * Records who the client is: the socket peer, normalized (IPv4-mapped IPv6 as IPv4, IPv6 in
 * RFC 5952 form); X-Forwarded-For only counts when the peer is a trusted proxy (TRUST_PROXY).
 */
export function clientIp(trustProxy: TrustedProxies | undefined) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const socketIp = normalizeIp(getConnInfo(c).remote.address ?? '');
    if (!socketIp) throw new AppError('unknown_client', 'The client address could not be determined.');
    c.set('clientIp', resolveClientIp(socketIp, c.req.header('x-forwarded-for'), trustProxy));
    await next();
  });
}
