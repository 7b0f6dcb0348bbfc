import { Retention } from './retention.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** The UTC day of a time, `2026-11-21`: the name of its per-day stats keys. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The UTC minute of a time, `2026-11-21T10:05`. */
export const utcMinute = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

/** When a day's stats keys expire (unix seconds): Retention.statsDays after the day ends. */
export function dayExpiresAt(ms: number): number {
  const dayEnd = Math.floor(ms / DAY_MS) * DAY_MS + DAY_MS;
  return Math.floor(dayEnd / 1000) + Retention.statsDays * 24 * 60 * 60;
}

/** When a minute's counter expires (unix seconds). */
export function minuteExpiresAt(ms: number): number {
  const minuteEnd = Math.floor(ms / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  return Math.floor(minuteEnd / 1000) + Retention.minuteCountSeconds;
}

/** The `count` minutes up to and including the one of `ms`, oldest first. */
export function lastMinutes(ms: number, count: number): string[] {
  const current = Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  return Array.from({ length: count }, (_, index) => utcMinute(current - (count - 1 - index) * MINUTE_MS));
}

/** The `count` UTC days up to and including the one of `ms`, oldest first. */
export function lastDays(ms: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => utcDay(ms - (count - 1 - index) * DAY_MS));
}

/** The days still inside the stats retention, newest first (what an erasure must visit). */
export function retainedDays(ms: number): string[] {
  return Array.from({ length: Retention.statsDays + 1 }, (_, index) => utcDay(ms - index * DAY_MS));
}
