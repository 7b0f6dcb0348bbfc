/**
 * The open-loop schedule: message i is due at start + i / rate, whatever happened to the
 * ones before it. Latency is then measured from that due time, not from when the request
 * actually left, so a stalled server is charged for every message it held up (no
 * coordinated omission).
 */
export class RateSchedule {
  constructor(
    readonly startMs: number,
    readonly ratePerSecond: number,
    readonly total: number,
  ) {}

  /** When message `index` is due. */
  dueAt(index: number): number {
    return this.startMs + (index * 1000) / this.ratePerSecond;
  }

  /** How many messages are due by `nowMs` (never more than the total). */
  dueBy(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    return Math.min(this.total, Math.floor(((nowMs - this.startMs) * this.ratePerSecond) / 1000) + 1);
  }
}
