import type { HistoryEntry } from '@msgpipe/shared';
import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { AppEnv, Services } from '../context.js';
import { UnavailableError } from '../errors.js';
import { fromHistory } from '../message-view.js';

/** Comment lines keep idle connections (and the proxies between) from timing out. */
export const HEARTBEAT_MS = 15_000;

/**
 * `GET /v1/stream`: Server-Sent Events of the caller's own messages as they finish. Each event
 * is `message` with the GET shape as data and the message id as SSE id, so a browser that
 * reconnects sends `Last-Event-ID` and gets what it missed from the history first.
 */
export function streamRoutes({ config, history, completions, redisWork }: Services): Hono<AppEnv> {
  /** The entries newer than `lastId`, oldest first; all of the history when it is not there. */
  async function missedSince(ip: string, lastId: string): Promise<HistoryEntry[]> {
    const entries = await redisWork(() => history.list(ip, config.history.maxEntries));
    const seen = entries.findIndex((entry) => entry.id === lastId);
    return (seen === -1 ? entries : entries.slice(0, seen)).reverse();
  }

  return new Hono<AppEnv>().get('/stream', async (c) => {
    const ip = c.get('clientIp');
    if (!completions.ready || completions.ending.aborted) throw new UnavailableError();
    const pending: HistoryEntry[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = await redisWork(() =>
      completions.subscribe(ip, (entry) => {
        pending.push(entry);
        wake?.();
      }),
    );
    // Subscribed before reading the history, so nothing falls between the two; ids dedupe.
    const lastEventId = c.req.header('last-event-id');
    let missed: HistoryEntry[];
    try {
      missed = lastEventId ? await missedSince(ip, lastEventId) : [];
    } catch (error) {
      await unsubscribe();
      throw error;
    }

    return streamSSE(c, async (stream: SSEStreamingApi) => {
      const sent = new Set<string>();
      const send = async (entry: HistoryEntry) => {
        if (sent.has(entry.id)) return;
        sent.add(entry.id);
        await stream.writeSSE({ event: 'message', id: entry.id, data: JSON.stringify(fromHistory(entry, ip)) });
      };
      const heartbeat = setInterval(() => void stream.write(': heartbeat\n\n').catch(() => {}), HEARTBEAT_MS);
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
      }
    });
  });
}
