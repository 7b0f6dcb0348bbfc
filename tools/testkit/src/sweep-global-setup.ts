import { sweepOrphans } from '@msgpipe/redis-server';

/** Vitest global setup: first kill what an earlier run, killed half-way, left running. */
export default function setup(): void {
  const killed = sweepOrphans();
  if (killed.length > 0) console.warn(`testkit: killed ${killed.length} processes an earlier run left behind (${killed.join(', ')})`);
}
