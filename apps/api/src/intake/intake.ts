import type { HistoryEntry, HistoryStore, MessageJob } from '@msgpipe/shared';
import type { MessageQueues } from '../queues/message-queues.js';
import type { MessageWaiters, Outcome, Waiting } from '../live/message-waiters.js';
import type { ApiMetrics } from '../ops/metrics.js';
import type { EnqueueTracing } from '../tracing/telemetry.js';
import type { Reservation } from './group-commit.js';
import type { Admission } from './admission.js';
import { IdempotencyKeys, type AcceptedMessage, type Claim } from './idempotency.js';
import type { RateDecision } from './rate-limiter.js';

/** One message as a client sent it. */
export interface Submission {
  ip: string;
  message: string;
  /** The client's Idempotency-Key, if it sent one. */
  idempotencyKey?: string;
  /** How long to wait for the answer (`?wait`), if at all. */
  waitMs?: number;
  /** The request's X-Request-Id: the worker's log lines about the message carry it. */
  requestId?: string;
}

/**
 * What became of a submission. `rate` is the limiter's verdict, when the limiter is on.
 * - `accepted`: a new message, in its queue now (not answered within `waitMs`, if asked).
 * - `repeat`: the Idempotency-Key's earlier message, not finished (or not waited for).
 * - `finished`: the message (new or repeated) and its history entry, answered or failed.
 * - `refused`: over the rate limit; nothing was stored.
 */
export type SubmitResult =
  | { kind: 'accepted' | 'repeat'; message: AcceptedMessage; rate?: RateDecision }
  | { kind: 'finished'; message: AcceptedMessage; entry: HistoryEntry; rate?: RateDecision }
  | { kind: 'refused'; rate: RateDecision };

export interface IntakeDeps {
  queues: MessageQueues;
  history: HistoryStore;
  admission: Admission;
  idempotency: IdempotencyKeys;
  waiters: MessageWaiters;
  metrics: Pick<ApiMetrics, 'messagesAccepted'>;
  /** Runs Redis work within the request deadline: UnavailableError rather than a hang. */
  redisWork<T>(work: () => Promise<T>): Promise<T>;
  /** The clock a message's send time is read from. */
  now?: () => number;
  /** Enqueue spans, and the trace context each job carries, when tracing is on. */
  tracing?: EnqueueTracing;
}

/**
 * Takes messages in: the admission (rate limit, Idempotency-Key claim), the enqueue and `?wait`. Knows
 * nothing of HTTP; failures are AppErrors (invalid_idempotency_key, unavailable).
 */
export class Intake {
  readonly #deps: IntakeDeps;
  readonly #now: () => number;
  /**
   * This process's enqueues of newly claimed keys, by key: a repeat that finds the key
   * unconfirmed while its first message is on its way here waits for it rather than adding the
   * message again, which in a batch would be a second job.
   */
  readonly #enqueuing = new Map<string, Promise<boolean>>();

  constructor(deps: IntakeDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * The rate limit comes first, so a refused message claims no key; with the claim it is one
   * round trip (see Admission). A repeat of an accepted key spends budget too, as any request does.
   */
  async submit(submission: Submission): Promise<SubmitResult> {
    if (submission.idempotencyKey !== undefined) IdempotencyKeys.validate(submission.idempotencyKey);
    // The message's place (and so its id) comes first: the claim stores the id it will have.
    const reservation = this.#deps.queues.reserve(submission.ip, Buffer.byteLength(submission.message));
    try {
      return await this.#submit(submission, reservation);
    } finally {
      reservation.release(); // a no-op for a message its batch took
    }
  }

  async #submit({ ip, message, idempotencyKey, waitMs, requestId }: Submission, reservation: Reservation): Promise<SubmitResult> {
    const { admission, queues, redisWork, tracing } = this.#deps;
    const planned: AcceptedMessage = { id: reservation.id, ip, sendTime: new Date(this.#now()).toISOString() };
    const idempotency = idempotencyKey === undefined ? undefined : { clientKey: idempotencyKey, planned };
    const { rate, claim } = await redisWork(() => admission.admit({ ip, idempotency }));
    if (rate && !rate.allowed) return { kind: 'refused', rate };
    const accepted = claim?.accepted ?? planned;

    if (claim?.kind === 'repeat' || (claim?.kind === 'unconfirmed' && (await this.#enqueuedHere(claim, reservation)))) {
      // Its place goes now: a repeat waiting for its answer must not hold its batch back.
      reservation.release();
      const repeat = await this.#findRepeat(accepted, waitMs);
      const entry = repeat.entry ?? (repeat.waiting && (await this.#finished(accepted, repeat.waiting.outcome)));
      return entry ? { kind: 'finished', message: accepted, entry, rate } : { kind: 'repeat', message: accepted, rate };
    }
    // An unconfirmed claim's message may be in a batch already: it goes alone, its id as job id.
    const job: MessageJob = { ...accepted, message };
    if (requestId !== undefined) job.requestId = requestId;
    const send = claim?.kind === 'unconfirmed' ? (sent: MessageJob) => queues.enqueue(sent) : (sent: MessageJob) => reservation.commit(sent);
    // With tracing off this is the one branch a message pays for it.
    const enqueue = tracing ? () => tracing.enqueue(accepted.id, (carrier) => send({ ...job, ...carrier })) : () => send(job);
    const enqueued = this.#enqueue(accepted, enqueue, claim, waitMs);
    if (claim?.kind === 'new') this.#track(claim.key, enqueued);
    const waiting = await enqueued;
    const entry = waiting && (await this.#finished(accepted, waiting.outcome));
    return entry ? { kind: 'finished', message: accepted, entry, rate } : { kind: 'accepted', message: accepted, rate };
  }

  /** Lists a new claim's enqueue while it is under way (see #enqueuing). */
  #track(key: string, enqueued: Promise<unknown>): void {
    const done = enqueued.then(
      () => true,
      () => false,
    );
    this.#enqueuing.set(key, done);
    void done.then(() => this.#enqueuing.delete(key));
  }

  /**
   * Whether an unconfirmed claim's message was enqueued by this process: true once its enqueue
   * succeeded (the caller then answers as a repeat). Its place goes first, since the message
   * it waits for may be in the same batch.
   */
  async #enqueuedHere(claim: { key: string }, reservation: Reservation): Promise<boolean> {
    const enqueuing = this.#enqueuing.get(claim.key);
    if (!enqueuing) return false;
    reservation.release();
    return enqueuing;
  }

  /** The finished message for `?wait`, or undefined while it is not finished. */
  async #finished(accepted: AcceptedMessage, outcome: Promise<Outcome | undefined>): Promise<HistoryEntry | undefined> {
    await outcome;
    // Read it back whether the entry came or not: a finish published while the subscriber was
    // reconnecting is still found, and the history is the record either way.
    return this.#deps.redisWork(() => this.#deps.history.find(accepted.ip, accepted.id));
  }

  /** Subscribes for `?wait` within the usual deadline: Redis down is a quick 503, nothing enqueued. */
  async #listen(ip: string, id: string, ms: number): Promise<Waiting> {
    let waiting: Waiting | undefined;
    try {
      return await this.#deps.redisWork(async () => {
        waiting = this.#deps.waiters.expect(ip, id, ms);
        await waiting.subscribed;
        return waiting;
      });
    } catch (error) {
      waiting?.cancel(); // a SUBSCRIBE that lands after the deadline is undone
      throw error;
    }
  }

  /**
   * A new (or unconfirmed) message into its queue, subscribed first for `?wait` so a message
   * answered at once is not missed. An unconfirmed claim's message may be in the queue already:
   * adding the same job id again is a no-op, and the history records a message once, so a
   * retry cannot answer it twice.
   */
  async #enqueue(
    accepted: AcceptedMessage,
    enqueue: () => Promise<void>,
    claim: Exclude<Claim, { kind: 'repeat' }> | undefined,
    waitMs: number | undefined,
  ): Promise<Waiting | undefined> {
    const { idempotency, metrics, redisWork } = this.#deps;
    const waiting = waitMs ? await this.#listen(accepted.ip, accepted.id, waitMs) : undefined;
    await cancelOnFailure(waiting, async () => {
      await redisWork(enqueue);
      metrics.messagesAccepted.inc();
      if (claim) await redisWork(() => idempotency.confirm(claim, accepted));
    });
    return waiting;
  }

  /**
   * A repeated Idempotency-Key's message for `?wait`: its history entry when it is finished
   * already, else a wait for it. Read again once subscribed: it may have finished in between.
   */
  async #findRepeat(accepted: AcceptedMessage, waitMs: number | undefined): Promise<{ entry?: HistoryEntry; waiting?: Waiting }> {
    if (!waitMs) return {};
    const find = () => this.#deps.redisWork(() => this.#deps.history.find(accepted.ip, accepted.id));
    const entry = await find();
    if (entry) return { entry };
    const waiting = await this.#listen(accepted.ip, accepted.id, waitMs);
    const finishedMeanwhile = await cancelOnFailure(waiting, find);
    if (!finishedMeanwhile) return { waiting };
    waiting.cancel();
    return { entry: finishedMeanwhile };
  }
}

/** Runs `work`; if it fails, the wait it may have started ends too. */
async function cancelOnFailure<T>(waiting: Waiting | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    waiting?.cancel();
    throw error;
  }
}
