import { describe, expect, it } from 'vitest';
import { Retention } from './retention.js';
import { dayExpiresAt, lastDays, lastMinutes, minuteExpiresAt, retainedDays, utcDay, utcMinute } from './stats-time.js';

const at = (iso: string) => Date.parse(iso);

describe('stats time buckets', () => {
  it('names days and minutes in UTC, whatever the local time zone', () => {
    expect(utcDay(at('2026-11-21T23:59:59.999Z'))).toBe('2026-11-21');
    expect(utcDay(at('2026-11-22T00:00:00.000Z'))).toBe('2026-11-22');
    expect(utcMinute(at('2026-11-21T10:05:59.999Z'))).toBe('2026-11-21T10:05');
  });

  it('expires a day Retention.statsDays after it ends, the same moment for every time in it', () => {
    const expected = at('2026-11-22T00:00:00Z') / 1000 + Retention.statsDays * 86_400;
    expect(dayExpiresAt(at('2026-11-21T00:00:00.000Z'))).toBe(expected);
    expect(dayExpiresAt(at('2026-11-21T23:59:59.999Z'))).toBe(expected);
    expect(dayExpiresAt(at('2026-11-22T00:00:00.000Z'))).toBe(expected + 86_400);
  });

  it('expires a minute Retention.minuteCountSeconds after it ends', () => {
    expect(minuteExpiresAt(at('2026-11-21T10:05:30Z'))).toBe(at('2026-11-21T10:06:00Z') / 1000 + Retention.minuteCountSeconds);
  });

  it('lists the last minutes oldest first, ending with the current one, across an hour boundary', () => {
    expect(lastMinutes(at('2026-11-21T11:01:30Z'), 3)).toEqual(['2026-11-21T10:59', '2026-11-21T11:00', '2026-11-21T11:01']);
    expect(lastMinutes(at('2026-11-21T11:01:30Z'), 60)).toHaveLength(60);
  });

  it('lists the last days oldest first, ending with the current one, across a month boundary', () => {
    expect(lastDays(at('2026-12-01T00:30:00Z'), 3)).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(lastDays(at('2026-12-01T23:59:59Z'), 30)).toHaveLength(30);
  });

  it('lists every retained day, newest first, for an erasure to visit', () => {
    const days = retainedDays(at('2026-11-21T08:00:00Z'));
    expect(days).toHaveLength(Retention.statsDays + 1);
    expect(days[0]).toBe('2026-11-21');
    expect(days[1]).toBe('2026-11-20');
    expect(days.at(-1)).toBe('2026-10-17');
  });
});
