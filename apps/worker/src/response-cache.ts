import { createHash } from 'node:crypto';
import { LuaScript, type KeySchema, type Logger, type RedisClient } from '@msgpipe/shared';
import { cachePolicyOf } from './cache-policy.js';
import type { WorkerMetrics } from './metrics.js';
import type { Reply, Responder, ResponderContext, ResponderKind } from './responders/responder.js';

const cacheForSender = LuaScript.load(new URL('../lua/cache-for-sender.lua', import.meta.url));

/** Answers one sender's cache keeps at most: a few minutes of messages at the default rate limit. */
export const SENDER_CACHE_MAX_ENTRIES = 200;

export interface ResponseCacheOptions {
  redis: RedisClient;
  keys: KeySchema;
  /** RESPONSE_CACHE_TTL_SECONDS: the longest an answer is kept; must be > 0 (0 means: build no cache). */
  ttlSeconds: number;
  /** Part of the key: a webhook's answer must not be served after a switch to openai. */
  kind: ResponderKind;
  metrics: WorkerMetrics;
  logger: Logger;
}

/** A sender's cached answer, with its own expiry (ms since 1970). */
interface SenderEntry {
  response: string;
  expiresAt: number;
}

/**
 * Caches a responder's answers per exact message text, so a popular message costs one upstream
 * call per TTL rather than one per sender, and never gives one sender an answer made for
 * another: the upstream's Cache-Control decides (cache-policy.ts). A `public` answer is shared
 * by everyone who sends that text; a `private` one, or one that says nothing, is kept for its
 * sender only (in a hash of the sender's, which an erasure removes); `no-store` is not kept.
 * Only for responders whose calls cost something (webhook, openai): a rules reply contains the
 * sender's IP and time, and is cheaper to compute than a Redis round trip anyway.
 *
 * The cache is an optimisation, never a dependency: when Redis cannot answer a lookup or a
 * store, the message goes on without it (logged at debug).
 */
export class CachingResponder implements Responder {
  constructor(
    private readonly inner: Responder,
    private readonly options: ResponseCacheOptions,
  ) {}

  /** A text's hash: SHA-256 keeps keys short whatever the message length. */
  hashOf(message: string): string {
    return createHash('sha256').update(`${this.options.kind}\0${message}`).digest('hex');
  }

  async respond(message: string, context: ResponderContext): Promise<Reply> {
    const { metrics } = this.options;
    const hash = this.hashOf(message);
    const cached = await this.#lookup(hash, context);
    metrics.responseCacheRequests.inc({ result: cached === undefined ? 'miss' : 'hit' });
    if (cached !== undefined) return cached;

    const reply = await this.inner.respond(message, context);
    await this.#store(hash, reply, context);
    return reply;
  }

  /** The sender's own answer first, then a shared one; both asked at once. */
  async #lookup(hash: string, { id, ip }: ResponderContext): Promise<string | undefined> {
    const { redis, keys } = this.options;
    const [own, shared] = await Promise.all([
      redis.hget(keys.responseCacheOf(ip), hash).catch((error: Error) => this.#skip('lookup', error, id)),
      redis.get(keys.responseCache(hash)).catch((error: Error) => this.#skip('lookup', error, id)),
    ]);
    const entry = own === null ? undefined : parseEntry(own);
    if (entry !== undefined && entry.expiresAt > Date.now()) return entry.response;
    return shared ?? undefined;
  }

  async #store(hash: string, reply: Reply, { id, ip }: ResponderContext): Promise<void> {
    const { redis, keys, ttlSeconds } = this.options;
    const [response, cacheControl] = typeof reply === 'string' ? [reply, null] : [reply.response, reply.cacheControl];
    const policy = cachePolicyOf(cacheControl, ttlSeconds);
    if (policy.scope === 'none') return;
    const stored =
      policy.scope === 'shared'
        ? redis.set(keys.responseCache(hash), response, 'EX', policy.ttlSeconds)
        : cacheForSender.run(
            redis,
            [keys.responseCacheOf(ip)],
            [hash, JSON.stringify({ response, expiresAt: Date.now() + policy.ttlSeconds * 1000 } satisfies SenderEntry), ttlSeconds, SENDER_CACHE_MAX_ENTRIES],
          );
    await stored.catch((error: Error) => this.#skip('store', error, id));
  }

  #skip(step: 'lookup' | 'store', error: Error, id: string): null {
    this.options.logger.debug({ err: error.message, id }, `response cache ${step} failed; going on without it`);
    return null;
  }
}

/** A sender's entry, or undefined for anything else found there. */
function parseEntry(raw: string): SenderEntry | undefined {
  try {
    const entry = JSON.parse(raw) as Partial<SenderEntry>;
    return typeof entry.response === 'string' && typeof entry.expiresAt === 'number' ? (entry as SenderEntry) : undefined;
  } catch {
    return undefined;
  }
}
