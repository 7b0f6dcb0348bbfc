import { dayExpiresAt, lastDays, lastMinutes, minuteExpiresAt, partitionOf, type KeySchema, type RedisClient } from '@msgpipe/shared';
import type { Page } from 'playwright-core';

/** The ops page's refresh period (page-assets.ts). */
export const POLL_MS = 2000;

/**
 * Headless Chromium's page is always visible; a tab put in the background is shown by what the
 * page reads: document.visibilityState and the visibilitychange event.
 */
export async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  // A string: this package is typed without the DOM.
  await page.evaluate(`Object.defineProperty(document, 'visibilityState', { value: ${JSON.stringify(state)}, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));`);
}

/** The first `count` addresses of 127.0.5.x that land on `partition`. */
export function ipsOn(partition: number, partitions: number, count: number): string[] {
  const ips: string[] = [];
  for (let host = 1; ips.length < count; host++) if (partitionOf(`127.0.5.${host}`, partitions) === partition) ips.push(`127.0.5.${host}`);
  return ips;
}

/** A duration as the page writes it (`42 s`, `1 min 05 s`), in seconds. */
export function seconds(text: string | null): number {
  const match = /^(?:(\d+) min )?(\d+) s$/.exec(text ?? '');
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2]);
}

/**
 * A month of traffic before today, and the last hour before this minute, as the worker would
 * have counted it: dates derived from `now`, each key with its own expiry. Today's counter is
 * left to the messages the test sends. Returns the days seeded, oldest first.
 */
export async function seedPastTraffic(redis: RedisClient, keys: KeySchema, now: number): Promise<string[]> {
  const days = lastDays(now, 30).slice(0, -1);
  for (const [index, day] of days.entries()) {
    const count = 1800 + Math.round(900 * Math.sin(index / 2.2)) + index * 40;
    await redis.set(keys.messagesIn(day), count, 'EXAT', dayExpiresAt(Date.parse(`${day}T12:00:00Z`)));
  }
  for (const [index, minute] of lastMinutes(now, 60).slice(0, -1).entries()) {
    await redis.incrby(keys.messagesIn(minute), 20 + Math.round(14 * Math.sin(index / 4)) + (index % 7));
    await redis.expireat(keys.messagesIn(minute), minuteExpiresAt(Date.parse(`${minute}:30Z`)));
  }
  return days;
}
