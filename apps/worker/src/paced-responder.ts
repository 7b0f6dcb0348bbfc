import { setTimeout as delay } from 'node:timers/promises';
import { LuaScript, type KeySchema, type RedisClient } from '@msgpipe/shared';
import type { Reply, Responder, ResponderContext } from './responders/responder.js';

const pace = LuaScript.load(new URL('../lua/pace.lua', import.meta.url));

/**
 * RESPONDER_MAX_PER_SECOND: responder calls over every worker process, spaced evenly (at most
 * the cap in any second). Each call asks Redis when it may start, then waits that long; it
 * counts calls, not jobs, so a batch of many messages is paced like as many jobs. The response
 * cache sits outside, so a cached answer takes no turn.
 */
export class PacedResponder implements Responder {
  readonly #intervalMs: number;

  constructor(
    private readonly inner: Responder,
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    maxPerSecond: number,
  ) {
    this.#intervalMs = 1000 / maxPerSecond;
  }

  async respond(message: string, context: ResponderContext): Promise<Reply> {
    const waitMs = (await pace.run(this.redis, [this.keys.responderPace()], [this.#intervalMs])) as number;
    if (waitMs > 0) await delay(waitMs);
    return this.inner.respond(message, context);
  }
}
