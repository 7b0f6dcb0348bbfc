import { createRoute, z } from '@hono/zod-openapi';
import type { HistoryEntry } from '@msgpipe/shared';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { Services } from '../context.js';
import { AppError, UnavailableError } from '../http/errors.js';
import type { StreamLease } from '../live/stream-leases.js';
import { isMessageId } from '../intake/message-id.js';
import { fromHistory } from './message-view.js';
import { errorResponses, RATE_LIMIT_HEADERS } from '../openapi/responses.js';
import { ADMIN_OPTIONAL } from '../openapi/security.js';
import { documentedRoutes } from '../openapi/validation.js';

/** Comment lines keep idle connections (and the proxies between) from timing out. */
export const HEARTBEAT_MS = 15_000;

/**
 * `GET /v1/stream`: Server-Sent Events of the caller's own messages as they finish. Each event
 * is `message` with the GET shape as data and the message id as SSE id, so a browser that
 * reconnects sends `Last-Event-ID` and gets what it missed from the history first.
 */
const subscribe = createRoute({
  method: 'get',
  path: '/stream',
  summary: 'Your messages as they finish (Server-Sent Events)',
  description:
    'Each event is `message`, its data a message in the shape of `GET /v1/messages/{id}` and its SSE id the message id; `: heartbeat` comments keep the connection open.',
  tags: ['messages'],
  security: ADMIN_OPTIONAL,
  request: {
    headers: z.object({
      'Last-Event-ID': z.string().optional().openapi({ description: 'The last message id seen: what finished since is sent first (browsers send it when they reconnect).' }),
    }),
  },
  responses: {
    200: { description: 'The event stream; it stays open.', headers: z.object(RATE_LIMIT_HEADERS), content: { 'text/event-stream': { schema: z.string() } } },
    ...errorResponses('cross_site_request', 'rate_limited', 'too_many_streams', 'unavailable'),
  },
});

export function streamRoutes({ config, history, completions, streamLeases, redisWork }: Services) {
  /**
   * The entries newer than `lastId`, oldest first; all of the history when `lastId` has left it.
   * An id that was never one of this IP's messages replays nothing and costs one look-up (none
   * when it is not even shaped like an id), so a made-up Last-Event-ID cannot make every
   * connect read a whole history.
   */
  async function missedSince(ip: string, lastId: string): Promise<HistoryEntry[]> {
    if (!isMessageId(lastId)) return [];
    const newer = await redisWork(() => history.since(ip, lastId, config.history.maxEntries));
    return (newer ?? []).reverse();
  }

  async function takeLease(ip: string): Promise<StreamLease> {
    const lease = await redisWork(() => streamLeases.take(ip));
    if (lease) return lease;
    throw new AppError('too_many_streams', `At most ${streamLeases.maxPerClient} streams may be open from your address at once; close one first.`);
  }

  /** Subscribes first, then reads what was missed, so nothing falls between the two; `send` dedupes. */
  async function subscribeFrom(ip: string, lastEventId: string | undefined, onEntry: (entry: HistoryEntry) => void) {
    const unsubscribe = await redisWork(() => completions.subscribe(ip, onEntry));
    try {
      return { unsubscribe, missed: lastEventId ? await missedSince(ip, lastEventId) : [] };
    } catch (error) {
      await unsubscribe();
      throw error;
    }
  }

  return documentedRoutes().openapi(subscribe, async (c) => {
    const ip = c.get('clientIp');
    if (!completions.ready || completions.ending.aborted) throw new UnavailableError();
    const lease = await takeLease(ip);
    const pending: HistoryEntry[] = [];
    let wake: (() => void) | undefined;
    const { unsubscribe, missed } = await subscribeFrom(ip, c.req.valid('header')['Last-Event-ID'], (entry) => {
      pending.push(entry);
      wake?.();
    }).catch(async (error: unknown) => {
      await lease.release().catch(() => {});
      throw error;
    });

    return streamSSE(c, async (stream: SSEStreamingApi) => {
      const sent = new Map<string, HistoryEntry['status']>();
      const send = async (entry: HistoryEntry) => {
        // Once per message, except that an answer follows a failure (a retry that succeeded
        // replaced it); a failure never follows the answer, in whichever order the two arrive.
        const before = sent.get(entry.id);
        if (before === 'completed' || before === entry.status) return;
        sent.set(entry.id, entry.status);
        await stream.writeSSE({ event: 'message', id: entry.id, data: JSON.stringify(fromHistory(entry, ip)) });
      };
      // The heartbeat renews the stream's lease too; a failed renewal only lets the lease end early.
      const heartbeat = setInterval(() => {
        void stream.write(': heartbeat\n\n').catch(() => {});
        void lease.renew().catch(() => {});
      }, HEARTBEAT_MS);
      stream.onAbort(() => wake?.());
      const onEnding = () => wake?.();
      completions.ending.addEventListener('abort', onEnding);
      try {
        for (const entry of missed) await send(entry);
        while (!stream.aborted && !completions.ending.aborted) {
          const entry = pending.shift();
          if (entry) await send(entry);
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        completions.ending.removeEventListener('abort', onEnding);
        clearInterval(heartbeat);
        await unsubscribe();
        await lease.release().catch(() => {});
      }
    });
  });
}
