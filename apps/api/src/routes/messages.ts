import type { HistoryEntry } from '@msgpipe/shared';
import { Hono } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { ApiError } from '../errors.js';
import { IdempotencyKeys, type AcceptedMessage, type Claim } from '../idempotency.js';
import { readMessage } from '../message-body.js';
import { newMessageId } from '../message-id.js';
import { fromHistory, fromJob, type MessageView } from '../message-view.js';
import type { Outcome, Waiting } from '../message-waiters.js';

const MESSAGE_ID = /^[A-Za-z0-9_-]{22}$/;
const MAX_WAIT_MS = 30_000;

export function messageRoutes(services: Services): Hono<AppEnv> {
  const { config, queues, history, rateLimiter, idempotency, metrics, waiters, isAdmin, redisWork } = services;

  /** `?wait=MS`: 0–30000, or undefined when absent. */
  function parseWait(raw: string | undefined): number | undefined {
    if (raw === undefined) return undefined;
    const ms = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!(ms >= 0 && ms <= MAX_WAIT_MS)) throw new ApiError(400, 'invalid_query', `wait must be an integer from 0 to ${MAX_WAIT_MS} (milliseconds).`);
    return ms;
  }

  /** The finished message for `?wait`, or undefined while it is not finished. */
  async function finished(accepted: AcceptedMessage, outcome: Promise<Outcome | undefined>): Promise<MessageView | undefined> {
    await outcome;
    // Read it back whether the entry came or not: a finish published while the subscriber was
    // reconnecting is still found, and the history is the record either way.
    const entry = await redisWork(() => history.find(accepted.ip, accepted.id));
    return entry && fromHistory(entry, accepted.ip);
  }

  /** Subscribes for `?wait` within the usual deadline: Redis down is a quick 503, nothing enqueued. */
  async function listen(ip: string, id: string, ms: number): Promise<Waiting> {
    let waiting: Waiting | undefined;
    try {
      return await redisWork(async () => {
        waiting = waiters.expect(ip, id, ms);
        await waiting.subscribed;
        return waiting;
      });
    } catch (error) {
      waiting?.cancel(); // a SUBSCRIBE that lands after the deadline is undone
      throw error;
    }
  }

  /** Runs `work`; if it fails, the wait it may have started ends too. */
  async function cancelOnFailure<T>(waiting: () => Waiting | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      waiting()?.cancel();
      throw error;
    }
  }

  /**
   * A new (or unconfirmed) message into its queue, subscribed first for `?wait` so a message
   * answered at once is not missed. An unconfirmed claim's message may be in the queue already:
   * adding the same job id again is a no-op, so a retry cannot enqueue it twice.
   */
  async function enqueue(
    accepted: AcceptedMessage,
    message: string,
    claim: Exclude<Claim, { kind: 'repeat' }> | undefined,
    waitMs: number | undefined,
  ): Promise<Waiting | undefined> {
    const waiting = waitMs ? await listen(accepted.ip, accepted.id, waitMs) : undefined;
    await cancelOnFailure(
      () => waiting,
      async () => {
        await redisWork(() => queues.enqueue({ ...accepted, message }));
        metrics.messagesAccepted.inc();
        if (claim) await redisWork(() => idempotency.confirm(claim, accepted));
      },
    );
    return waiting;
  }

  /**
   * A repeated Idempotency-Key's message for `?wait`: its history entry when it is finished
   * already, else a wait for it. Read again once subscribed: it may have finished in between.
   */
  async function findRepeat(accepted: AcceptedMessage, waitMs: number | undefined): Promise<{ entry?: HistoryEntry; waiting?: Waiting }> {
    if (!waitMs) return {};
    const find = () => redisWork(() => history.find(accepted.ip, accepted.id));
    const entry = await find();
    if (entry) return { entry };
    const waiting = await listen(accepted.ip, accepted.id, waitMs);
    const finishedMeanwhile = await cancelOnFailure(() => waiting, find);
    if (!finishedMeanwhile) return { waiting };
    waiting.cancel();
    return { entry: finishedMeanwhile };
  }

  /**
   * The rate limit comes first, so a refused request costs one round trip, Idempotency-Key or
   * not. A repeat of an accepted key therefore spends budget too, as any request does.
   */
  async function admit(planned: AcceptedMessage, idempotencyKey: string | undefined): Promise<{ claim?: Claim; headers: Record<string, string> }> {
    let headers: Record<string, string> = {};
    if (rateLimiter.enabled) {
      const decision = await redisWork(() => rateLimiter.take(planned.ip));
      headers = rateLimiter.headers(decision);
      if (!decision.allowed) {
        throw new ApiError(429, 'rate_limited', `At most ${rateLimiter.limitPerMinute} messages a minute; try again later.`, {
          ...headers,
          'Retry-After': String(decision.retryAfterSeconds),
        });
      }
    }
    if (idempotencyKey === undefined) return { headers };
    return { claim: await redisWork(() => idempotency.claim(planned.ip, idempotencyKey, planned)), headers };
  }

  return new Hono<AppEnv>()
    .post('/messages', async (c) => {
      const ip = c.get('clientIp');
      const waitMs = parseWait(c.req.query('wait'));
      const idempotencyKey = c.req.header('idempotency-key');
      if (idempotencyKey !== undefined) IdempotencyKeys.validate(idempotencyKey);
      const message = await readMessage(c.req, config.messageMaxBytes);

      const planned: AcceptedMessage = { id: newMessageId(), ip, sendTime: new Date().toISOString() };
      const { claim, headers } = await admit(planned, idempotencyKey);
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
      const accepted = claim?.accepted ?? planned;
      let waiting: Waiting | undefined;
      if (claim?.kind === 'repeat') {
        const repeat = await findRepeat(accepted, waitMs);
        if (repeat.entry) return c.json(fromHistory(repeat.entry, ip), 200, { Location: `/v1/messages/${accepted.id}` });
        waiting = repeat.waiting;
      } else {
        waiting = await enqueue(accepted, message, claim, waitMs);
      }
      // Only now: an error answer must not point at a message that was not accepted.
      c.header('Location', `/v1/messages/${accepted.id}`);
      const done = waiting && (await finished(accepted, waiting.outcome));
      if (done) return c.json(done, 200);
      return c.json({ id: accepted.id, status: 'queued', ip: accepted.ip, sendTime: accepted.sendTime }, 202);
    })
    .get('/messages/:id', async (c) => {
      const ip = c.get('clientIp');
      const id = c.req.param('id');
      const notFound = new ApiError(404, 'not_found', 'No message with this id was sent from your address.');
      if (!MESSAGE_ID.test(id)) throw notFound;

      // An admin may read any message, found through the job while BullMQ still keeps it.
      const admin = isAdmin(c.req.header('authorization'));
      const inQueue = await redisWork(() => (admin ? queues.findAny(id) : queues.find(ip, id)));
      if (inQueue && inQueue.status !== 'completed' && inQueue.status !== 'failed') {
        return c.json(fromJob(inQueue.job, inQueue.status));
      }
      // Finished messages are read from the history, the record that outlives the job.
      const sender = inQueue?.job.ip ?? ip;
      const entry = await redisWork(() => history.find(sender, id));
      if (!entry) throw notFound;
      return c.json(fromHistory(entry, sender));
    });
}
