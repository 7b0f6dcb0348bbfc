import { Coalescer, groupBySlot, hashSlotOf, LuaScript, Retention, type KeySchema, type RedisClient } from '@msgpipe/shared';
import { IdempotencyKeys, type AcceptedMessage, type Claim } from './idempotency.js';
import { RATE_PERIOD_MS, rateDecisionOf, type RateDecision } from './rate-limiter.js';

const admit = LuaScript.load(new URL('../../lua/admit.lua', import.meta.url));

/**
 * Admissions in one script call at most. A call's keys are listed in its KEYS, so a cluster
 * node checks their slot; the bound keeps one call's work (and reply) small.
 */
const MAX_ADMISSIONS_PER_CALL = 200;

/** One message to admit: its IP and, if it has one, its Idempotency-Key with the message it plans. */
export interface AdmissionRequest {
  ip: string;
  idempotency?: { clientKey: string; planned: AcceptedMessage };
}

/** The rate limiter's verdict (when it is on), then the key's claim (when admitted, with a key). */
export interface AdmissionVerdict {
  rate?: RateDecision;
  claim?: Claim;
}

/** One part of an admission as the script takes it: a rate limit to take, a key to claim, or both. */
interface Step {
  rateKey?: string;
  claim?: { key: string; value: string };
}

type Reply = [number, number, number, number, string];

/**
 * The admission of messages: the rate limit (RATE_LIMIT_PER_MINUTE per IP, IPv6 per network of
 * RATE_LIMIT_IPV6_PREFIX bits, shared by every API process since its state lives in Redis),
 * then the Idempotency-Key claim.
 * Admissions made while another is in flight go together in one script call (group commit), so
 * under load many messages cost one round trip; a lone one goes at once. On a cluster the calls
 * are grouped by slot; an IPv6 message whose network's rate key and key claim sit in different slots
 * takes two steps, the claim only if the rate limit admitted it.
 */
export class Admission {
  readonly #coalescer = new Coalescer<AdmissionRequest, AdmissionVerdict>((requests) => this.#admitAll(requests), {
    maxBatch: MAX_ADMISSIONS_PER_CALL,
    maxInFlight: 1,
  });

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly idempotency: IdempotencyKeys,
    readonly limitPerMinute: number,
  ) {}

  get rateLimited(): boolean {
    return this.limitPerMinute > 0;
  }

  /** The verdicts on one message; no round trip when there is neither a limit nor a key. */
  admit(request: AdmissionRequest): Promise<AdmissionVerdict> {
    if (!this.rateLimited && !request.idempotency) return Promise.resolve({});
    return this.#coalescer.run(request);
  }

  async #admitAll(requests: readonly AdmissionRequest[]): Promise<AdmissionVerdict[]> {
    const steps = requests.map((request) => this.#stepOf(request));
    if (!this.redis.isCluster) return this.#verdicts(requests, steps, await this.#run(steps));

    // Whole where a message's keys share a slot; else its rate limit first, then its claim.
    const split = steps.map((step) => !!step.rateKey && !!step.claim && hashSlotOf(step.rateKey) !== hashSlotOf(step.claim.key));
    const first = steps.map((step, index) => (split[index] ? { rateKey: step.rateKey } : step));
    const replies = await this.#runBySlot(first);
    const claims = steps.flatMap((step, index) => (split[index] && replies[index]![0] === 1 ? [{ index, step: { claim: step.claim } }] : []));
    const claimReplies = await this.#runBySlot(claims.map(({ step }) => step));
    claims.forEach(({ index }, at) => (replies[index]![4] = claimReplies[at]![4]));
    return this.#verdicts(requests, steps, replies);
  }

  #stepOf({ ip, idempotency }: AdmissionRequest): Step {
    return {
      rateKey: this.rateLimited ? this.keys.rateLimit(ip) : undefined,
      claim: idempotency && { key: this.idempotency.keyOf(ip, idempotency.clientKey), value: IdempotencyKeys.unconfirmed(idempotency.planned) },
    };
  }

  #verdicts(requests: readonly AdmissionRequest[], steps: readonly Step[], replies: readonly Reply[]): AdmissionVerdict[] {
    return replies.map((reply, index) => {
      const rate = this.rateLimited ? rateDecisionOf(reply.slice(0, 4) as number[]) : undefined;
      const { claim } = steps[index]!;
      const planned = requests[index]!.idempotency?.planned;
      if (!claim || !planned || rate?.allowed === false) return { rate };
      return { rate, claim: IdempotencyKeys.claimOf(claim.key, planned, reply[4]) };
    });
  }

  /** Steps whose keys may lie in any slots: one call per slot, side by side, replies in order. */
  async #runBySlot(steps: readonly Step[]): Promise<Reply[]> {
    const replies: Reply[] = [];
    const groups = groupBySlot(steps, (step) => step.rateKey ?? step.claim!.key);
    await Promise.all(
      groups.map(async (indexes) => {
        const groupReplies = await this.#run(indexes.map((index) => steps[index]!));
        indexes.forEach((index, at) => (replies[index] = groupReplies[at]!));
      }),
    );
    return replies;
  }

  /** One script call: every key of `steps` on one node. */
  async #run(steps: readonly Step[]): Promise<Reply[]> {
    if (steps.length === 0) return [];
    const keys = steps.flatMap((step) => [step.rateKey, step.claim?.key].filter((key): key is string => key !== undefined));
    const args = steps.flatMap((step) => [step.rateKey ? 1 : 0, step.claim?.value ?? '']);
    return (await admit.run(this.redis, keys, [this.limitPerMinute, RATE_PERIOD_MS, Retention.idempotencySeconds, ...args])) as Reply[];
  }
}
