import { createHash } from 'node:crypto';
import type { KeySchema, Logger, RedisClient } from '@msgpipe/shared';
import type { WorkerMetrics } from './metrics.js';
import type { Responder, ResponderContext, ResponderKind } from './responders/responder.js';

export interface ResponseCacheOptions {
  redis: RedisClient;
  keys: KeySchema;
  /** RESPONSE_CACHE_TTL_SECONDS; must be > 0 (0 means: build no cache). */
  ttlSeconds: number;
  /** Part of the key: a webhook's answer must not be served after a switch to openai. */
  kind: ResponderKind;
  metrics: WorkerMetrics;
  logger: Logger;
}

/**
 * Caches a responder's answer per exact message text for RESPONSE_CACHE_TTL_SECONDS, so a
 * popular message costs one upstream call per TTL, not one per sender. Only for responders
 * whose calls cost something (webhook, openai): a rules reply contains the sender's IP and
 * time, so caching it would answer with someone else's, and it is cheaper to compute than a
 * Redis round trip anyway.
 *
 * The cache is an optimisation, never a dependency: when Redis cannot answer a lookup or a
 * store, the message goes on without it (logged at debug).
 */
export class CachingResponder implements Responder {
  constructor(
    private readonly inner: Responder,
    private readonly options: ResponseCacheOptions,
  ) {}

  /** The cache key of a text: SHA-256 keeps it short whatever the message length. */
  keyOf(message: string): string {
    const hash = createHash('sha256').update(`${this.options.kind}\0${message}`).digest('hex');
    return this.options.keys.responseCache(hash);
  }

  async respond(message: string, context: ResponderContext): Promise<string> {
    const { redis, ttlSeconds, metrics, logger } = this.options;
    const key = this.keyOf(message);
    const cached = await redis.get(key).catch((error: Error) => {
      logger.debug({ err: error.message, id: context.id }, 'response cache lookup failed; asking the responder');
      return null;
    });
    metrics.responseCacheRequests.inc({ result: cached === null ? 'miss' : 'hit' });
    if (cached !== null) return cached;

    const response = await this.inner.respond(message, context);
    await redis.set(key, response, 'EX', ttlSeconds).catch((error: Error) => {
      logger.debug({ err: error.message, id: context.id }, 'response cache store failed');
    });
    return response;
  }
}
