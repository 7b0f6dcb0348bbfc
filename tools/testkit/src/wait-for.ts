import { Timeouts } from './timeouts.js';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls until `check` returns something other than undefined/false, and returns it; fails
 * with the last value seen when the deadline passes. Synchronisation on a condition, never a sleep.
 * `description` may be a function, read when it fails: to tell what the attempts saw.
 */
export async function waitFor<T>(
  description: string | (() => string),
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = Timeouts.condition, intervalMs = 20 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      const what = typeof description === 'function' ? description() : description;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
