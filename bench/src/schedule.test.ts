import { describe, expect, it } from 'vitest';
import { RateSchedule } from './schedule.js';

describe('RateSchedule', () => {
  it('spaces messages evenly from the start, however late they are sent', () => {
    const schedule = new RateSchedule(1000, 2000, 10_000);
    expect(schedule.dueAt(0)).toBe(1000);
    expect(schedule.dueAt(1)).toBe(1000.5);
    expect(schedule.dueAt(2000)).toBe(2000);
  });

  it('counts what is due by a time: nothing before the start, the first at once, never more than the total', () => {
    const schedule = new RateSchedule(1000, 2000, 10_000);
    expect(schedule.dueBy(999)).toBe(0);
    expect(schedule.dueBy(1000)).toBe(1);
    expect(schedule.dueBy(1000.49)).toBe(1);
    expect(schedule.dueBy(1000.5)).toBe(2);
    // A sender that stalled for a second owes every message of that second at once.
    expect(schedule.dueBy(2000)).toBe(2001);
    expect(schedule.dueBy(1_000_000)).toBe(10_000);
  });
});
