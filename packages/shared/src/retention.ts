/**
 * Retention policies: how long each kind of key lives (seconds, as EXPIRE takes them) and how
 * large a bounded one may grow. The history's own TTL and size are configuration
 * (HISTORY_TTL_SECONDS, HISTORY_MAX_ENTRIES); these are the fixed ones.
 */
export const Retention = {
  /** The same Idempotency-Key from the same IP within 24 h returns the first message. */
  idempotencySeconds: 24 * 60 * 60,
  /**
   * Message ids remembered per IP as already written (the exactly-once guard). A redelivered
   * job is caught as long as fewer than this many newer messages of the same IP were written
   * since; the set expires after writtenIdsSeconds.
   */
  writtenIdsPerIp: 1000,
  /**
   * How long the written ids outlive an IP's last write, at the least (longer when the history's
   * own TTL is): past the longest a job that can run again is kept (a failed job, retried from
   * the dashboard, `failedJobSeconds`), with a day to spare. An erasure leaves them, so no later
   * run writes an erased message back; they are ids and times, no message text.
   */
  writtenIdsSeconds: 8 * 24 * 60 * 60,
  /**
   * Ids of messages recorded failed remembered per IP, so a retry that succeeds replaces the
   * failed entry once and is not counted again: as many as BullMQ keeps failed jobs
   * (failedJobCount; an IP's messages all go to one queue partition), apart from the written
   * ids, which newer answers push out. They expire with the written ids.
   */
  failedIdsPerIp: 5000,
  /** Per-day counters, leaderboards and unique-IP counts live this long after their day ends. */
  statsDays: 35,
  /** Per-minute counters (the ops page charts the last hour). */
  minuteCountSeconds: 2 * 60 * 60,
  /**
   * Senders kept per leaderboard, so memory stays bounded however many addresses write. Beyond
   * it the lowest are dropped; one that comes back starts again from zero.
   */
  leaderboardSize: 100_000,
  /** BullMQ keeps finished jobs this long / this many, for the dashboard; the history is the record. */
  completedJobSeconds: 60 * 60,
  completedJobCount: 1000,
  failedJobSeconds: 7 * 24 * 60 * 60,
  failedJobCount: 5000,
  /**
   * An open `/v1/stream` holds a lease in its client's stream count, renewed with each 15 s
   * heartbeat; a process that dies without closing its streams frees their places after this.
   */
  streamLeaseSeconds: 60,
  /**
   * A worker process rewrites its in-flight count every workerInFlightRefreshSeconds; the key
   * outlives three refreshes, so a process that died without a goodbye drops off soon after.
   */
  workerInFlightRefreshSeconds: 5,
  workerInFlightSeconds: 15,
} as const;
