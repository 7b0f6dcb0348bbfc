/** Thrown when Redis stops answering: the tool fails instead of waiting for ever. */
export class StalledError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer from Redis within ${ms / 1000} s`);
    this.name = 'StalledError';
  }
}

/**
 * The connection waits out Redis outages (commands are resent on reconnect), which is right
 * for a long backup over a flaky link but must not turn into a hang: each step gets a deadline.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StalledError(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
