import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Services } from '../context.js';
import { AppError } from '../http/errors.js';
import { IDEMPOTENCY_KEY_PATTERN, INVALID_IDEMPOTENCY_KEY } from '../intake/idempotency.js';
import type { SubmitResult } from '../intake/intake.js';
import { rateLimitHeaders } from '../intake/rate-limiter.js';
import { readMessage } from '../intake/message-body.js';
import { MESSAGE_ID } from '../intake/message-id.js';
import { lookUpMessage } from '../queues/message-lookup.js';
import { fromHistory } from './message-view.js';
import { errorResponses, jsonBody, LOCATION, RATE_LIMIT_HEADERS } from '../openapi/responses.js';
import { AcceptedSchema, MessageBodySchema, MessageSchema } from '../openapi/schemas.js';
import { ADMIN_OPTIONAL } from '../openapi/security.js';
import { documentedRoutes, validField } from '../openapi/validation.js';

const MAX_WAIT_MS = 30_000;
const WAIT_RANGE = `wait must be an integer from 0 to ${MAX_WAIT_MS} (milliseconds).`;

const SubmitQuery = z.object({
  wait: z
    .string()
    .regex(/^\d{1,5}$/, WAIT_RANGE)
    .transform(Number)
    .pipe(z.int().max(MAX_WAIT_MS, WAIT_RANGE))
    .optional()
    .openapi({ type: 'integer', minimum: 0, maximum: MAX_WAIT_MS, description: 'Wait up to this many milliseconds for the answer.' }),
});

const SubmitHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, INVALID_IDEMPOTENCY_KEY)
    .optional()
    .openapi({ description: 'The same key from the same address within 24 h returns the first message and enqueues nothing.' }),
});

const submitted = z.object({ Location: LOCATION, ...RATE_LIMIT_HEADERS });

const submit = createRoute({
  method: 'post',
  path: '/messages',
  summary: 'Send a message',
  tags: ['messages'],
  request: {
    query: SubmitQuery,
    headers: SubmitHeaders,
    body: {
      required: true,
      description: 'UTF-8 only. At most MESSAGE_MAX_BYTES bytes of message; newline and tab are the only control characters allowed.',
      content: { 'application/json': { schema: MessageBodySchema }, 'application/x-www-form-urlencoded': { schema: MessageBodySchema } },
    },
  },
  responses: {
    200: { ...jsonBody(MessageSchema, 'Answered (or failed) within `?wait`.'), headers: submitted },
    202: { ...jsonBody(AcceptedSchema, 'In the queue.'), headers: submitted },
    ...errorResponses(
      'invalid_query',
      'invalid_idempotency_key',
      'invalid_json',
      'invalid_body',
      'empty_message',
      'cross_site_request',
      'message_too_large',
      'unsupported_media_type',
      'rate_limited',
      'unavailable',
    ),
  },
});

const read = createRoute({
  method: 'get',
  path: '/messages/{id}',
  summary: 'Read a message',
  description: 'Only its sender may read a message; an admin may read any.',
  tags: ['messages'],
  security: ADMIN_OPTIONAL,
  request: { params: z.object({ id: z.string().regex(MESSAGE_ID, 'No message with this id was sent from your address.') }) },
  responses: {
    200: { ...jsonBody(MessageSchema, 'The message, as far as it got.'), headers: z.object(RATE_LIMIT_HEADERS) },
    ...errorResponses('cross_site_request', 'not_found', 'rate_limited', 'auth_throttled', 'unavailable'),
  },
});

export function messageRoutes(services: Services) {
  const { config, intake, authenticateAdmin } = services;
  const limitPerMinute = config.rateLimitPerMinute;

  /** A submission's result as HTTP: 202 queued, 200 with the finished message, or a thrown 429. */
  function respond(c: Context<AppEnv>, result: SubmitResult) {
    // The limiter's verdict goes out with every answer, the refusal included (onError keeps them).
    for (const [name, value] of Object.entries(result.rate ? rateLimitHeaders(limitPerMinute, result.rate) : {})) c.header(name, value);
    if (result.kind === 'refused') {
      throw new AppError('rate_limited', `At most ${limitPerMinute} messages a minute; try again later.`, result.rate.retryAfterSeconds);
    }
    const { message } = result;
    c.header('Location', `/v1/messages/${message.id}`);
    if (result.kind === 'finished') return c.json(fromHistory(result.entry, message.ip), 200);
    return c.json({ id: message.id, status: 'queued' as const, ip: message.ip, sendTime: message.sendTime }, 202);
  }

  const routes = documentedRoutes();
  // The hot path: documented as a whole, but validated in the handler with the same schemas,
  // field by field. The route's validators would cost about 10 µs a message (query and header
  // middleware, each collecting every parameter and parsing asynchronously), and a body
  // validator would read the body whole first, where the bounded reader (message-body.ts) stops.
  routes.openAPIRegistry.registerPath(submit);
  routes.post('/messages', async (c) => {
    const waitMs = validField(SubmitQuery.shape.wait, c.req.query('wait'), 'invalid_query');
    const idempotencyKey = validField(SubmitHeaders.shape['Idempotency-Key'], c.req.header('idempotency-key'), 'invalid_idempotency_key');
    const message = await readMessage(c.req, config.messageMaxBytes);
    return respond(c, await intake.submit({ ip: c.get('clientIp'), message, idempotencyKey, waitMs, requestId: c.get('requestId') }));
  });
  return routes
    .openapi(read, async (c) => {
      const ip = c.get('clientIp');
      const { id } = c.req.valid('param');
      // An admin may read any message, found through the job while BullMQ still keeps it.
      const admin = await authenticateAdmin(c);
      const view = await lookUpMessage(services, id, { ip, admin });
      if (view) return c.json(view, 200);
      throw new AppError('not_found', 'No message with this id was sent from your address.');
    });
}
