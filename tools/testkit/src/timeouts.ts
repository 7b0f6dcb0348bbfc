/**
 * Every time limit the tests use, in one place. Generous on purpose: the machines that run the
 * suite differ two to three times in speed from one day to the next, and a busy core slows
 * cluster and TLS starts most. A limit here only bounds how long a broken test hangs; no test
 * passes or fails by how fast something went.
 */
export const Timeouts: Readonly<Record<'test' | 'hook' | 'condition' | 'processStart' | 'drain' | 'request', number>> = {
  /** One test, start to end (vitest's testTimeout). */
  test: 180_000,
  /** One beforeAll/afterAll and the like (vitest's hookTimeout and teardownTimeout). */
  hook: 180_000,
  /** waitFor's default: a condition that should come true soon. */
  condition: 30_000,
  /** A process of ours (API, worker, launcher) printing its ready line. */
  processStart: 60_000,
  /** A test's whole backlog of messages worked off, e.g. after a fault. */
  drain: 90_000,
  /** One HTTP request of a test. */
  request: 30_000,
};
