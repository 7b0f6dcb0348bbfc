/**
 * Logs an error message the first time it is seen, then at most once per interval, with how
 * many times it came meanwhile. While Redis is at maxmemory, BullMQ's fetch loop fails and
 * retries without pausing (an OOM reply is not a connection error, which would wait), emitting
 * thousands of identical errors a second: one line each flooded the logs.
 */
export class RepeatedErrorLog {
  readonly #seen = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(
    private readonly write: (fields: { err: string; repeated?: number }) => void,
    private readonly intervalMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  report(message: string): void {
    const now = this.now();
    const seen = this.#seen.get(message);
    if (seen && now - seen.loggedAt < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    this.write({ err: message, ...(seen?.suppressed && { repeated: seen.suppressed }) });
    // Messages can carry ids: forget them all now and then rather than grow without bound.
    if (this.#seen.size >= 100) this.#seen.clear();
    this.#seen.set(message, { loggedAt: now, suppressed: 0 });
  }
}
