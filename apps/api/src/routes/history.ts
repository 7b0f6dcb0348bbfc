import { normalizeIp } from '@msgpipe/shared';
import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { AppError } from '../errors.js';

const DEFAULT_LIMIT = 20;

/**
 * The caller's own history (`/history`) and, for admins, any IP's (`/ips/{ip}/history`).
 * Erasing removes the history and the IP's place on the leaderboards and in the online set.
 */
export function historyRoutes({ config, history, stats, adminOnly, redisWork }: Services): Hono<AppEnv> {
  const maxLimit = config.history.maxEntries;

  function parseLimit(raw: string | undefined): number {
    if (raw === undefined) return Math.min(DEFAULT_LIMIT, maxLimit);
    const limit = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= maxLimit)) {
      throw new AppError('invalid_query', `limit must be an integer from 1 to ${maxLimit}.`);
    }
    return limit;
  }

  /** The IP of the path, as the API shows IPs; the `-` form of key names is accepted too. */
  function parseIp(raw: string): string {
    const ip = normalizeIp(raw.includes(':') ? raw : raw.replaceAll('-', ':'));
    if (!ip) throw new AppError('invalid_ip', `"${raw.slice(0, 100)}" is not an IPv4 or IPv6 address.`);
    return ip;
  }

  async function historyOf(ip: string, rawLimit: string | undefined) {
    const limit = parseLimit(rawLimit);
    return { ip, messages: await redisWork(() => history.list(ip, limit)) };
  }

  async function erase(ip: string): Promise<void> {
    await redisWork(async () => {
      // Two steps (the IP's slot, then the stats slot): an erasure that fails half-way is
      // simply repeated by the client; both steps are idempotent.
      await history.erase(ip);
      await stats.forget(ip);
    });
  }

  return new Hono<AppEnv>()
    .get('/history', async (c) => c.json(await historyOf(c.get('clientIp'), c.req.query('limit'))))
    .delete('/history', async (c) => {
      await erase(c.get('clientIp'));
      return c.body(null, 204);
    })
    .get('/ips/:ip/history', adminOnly, async (c) => c.json(await historyOf(parseIp(c.req.param('ip')), c.req.query('limit'))))
    .delete('/ips/:ip/history', adminOnly, async (c) => {
      await erase(parseIp(c.req.param('ip')));
      return c.body(null, 204);
    });
}
