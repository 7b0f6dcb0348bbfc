import { Hono, type Context } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { errorResponse } from '../error-response.js';
import { AppError } from '../errors.js';
import { IdempotencyKeys } from '../intake/idempotency.js';
import type { SubmitResult } from '../intake/intake.js';
import { rateLimitHeaders } from '../intake/rate-limiter.js';
import { readMessage } from '../message-body.js';
import { isMessageId } from '../message-id.js';
import { lookUpMessage } from '../message-lookup.js';
import { fromHistory } from '../message-view.js';

const MAX_WAIT_MS = 30_000;

/** `?wait=MS`: 0–30000, or undefined when absent. */
function parseWait(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= 0 && ms <= MAX_WAIT_MS)) throw new AppError('invalid_query', `wait must be an integer from 0 to ${MAX_WAIT_MS} (milliseconds).`);
  return ms;
}

export function messageRoutes(services: Services): Hono<AppEnv> {
  const { config, intake, authenticateAdmin } = services;
  const limitPerMinute = config.rateLimitPerMinute;

  /** A submission's result as HTTP: 202 queued, 200 with the finished message, or 429. */
  function respond(c: Context<AppEnv>, result: SubmitResult): Response {
    const rate = result.rate && rateLimitHeaders(limitPerMinute, result.rate);
    if (result.kind === 'refused') {
      const refusal = new AppError('rate_limited', `At most ${limitPerMinute} messages a minute; try again later.`, result.rate.retryAfterSeconds);
      return errorResponse(c, refusal, rate);
    }
    for (const [name, value] of Object.entries(rate ?? {})) c.header(name, value);
    const { message } = result;
    c.header('Location', `/v1/messages/${message.id}`);
    if (result.kind === 'finished') return c.json(fromHistory(result.entry, message.ip), 200);
    return c.json({ id: message.id, status: 'queued', ip: message.ip, sendTime: message.sendTime }, 202);
  }

  return new Hono<AppEnv>()
    .post('/messages', async (c) => {
      const waitMs = parseWait(c.req.query('wait'));
      const idempotencyKey = c.req.header('idempotency-key');
      // Before the body is read: a bad key is refused without reading what came with it.
      if (idempotencyKey !== undefined) IdempotencyKeys.validate(idempotencyKey);
      const message = await readMessage(c.req, config.messageMaxBytes);
      return respond(c, await intake.submit({ ip: c.get('clientIp'), message, idempotencyKey, waitMs }));
    })
    .get('/messages/:id', async (c) => {
      const ip = c.get('clientIp');
      const id = c.req.param('id');
      const notFound = new AppError('not_found', 'No message with this id was sent from your address.');
      if (!isMessageId(id)) throw notFound;

      // An admin may read any message, found through the job while BullMQ still keeps it.
      const admin = await authenticateAdmin(c);
      const view = await lookUpMessage(services, id, { ip, admin });
      if (view) return c.json(view);
      throw notFound;
    });
}
