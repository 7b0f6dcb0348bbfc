import { z } from '@hono/zod-openapi';
import type { ErrorCode } from '../http/errors.js';
import { MESSAGE_ID } from '../intake/message-id.js';

/**
 * The shapes the API answers with, as zod schemas: the document (/openapi.json) is generated
 * from them, and the contract test validates real answers against that document.
 */

const isoTime = (description: string) => z.iso.datetime({ offset: false }).openapi({ description, example: '2026-11-21T10:00:00.000Z' });

export const MessageStatusSchema = z.enum(['queued', 'processing', 'completed', 'failed']).openapi('MessageStatus');

export const MessageSchema = z
  .object({
    id: z.string().regex(MESSAGE_ID).openapi({ example: '0zT3Yc2b1mXo9Qv8rL4pWA' }),
    status: MessageStatusSchema,
    message: z.string().openapi({ example: 'what time is it?' }),
    ip: z.string().openapi({ description: 'The sender’s address.', example: '203.0.113.7' }),
    sendTime: isoTime('When the API accepted the message.'),
    response: z.string().optional().openapi({ description: 'The answer, once `completed`.' }),
    respondedAt: isoTime('When the message was answered or failed for good.').optional(),
    error: z.string().optional().openapi({ description: 'Why the message `failed`.' }),
  })
  .openapi('Message');

export const AcceptedSchema = z
  .object({
    id: MessageSchema.shape.id,
    status: z.literal('queued'),
    ip: MessageSchema.shape.ip,
    sendTime: MessageSchema.shape.sendTime,
  })
  .openapi('Accepted');

/** A finished message as its sender's history keeps it (the sender is the history's `ip`). */
export const HistoryEntrySchema = z
  .object({
    id: MessageSchema.shape.id,
    status: z.enum(['completed', 'failed']),
    message: MessageSchema.shape.message,
    sendTime: MessageSchema.shape.sendTime,
    response: MessageSchema.shape.response,
    respondedAt: isoTime('When the message was answered or failed for good.'),
    error: MessageSchema.shape.error,
  })
  .openapi('HistoryEntry');

export const HistorySchema = z
  .object({ ip: MessageSchema.shape.ip, messages: z.array(HistoryEntrySchema).openapi({ description: 'Newest first.' }) })
  .openapi('History');

const count = z.int().min(0);
const SenderSchema = z.object({ ip: z.string(), count }).openapi('Sender');

export const StatsSchema = z
  .object({
    totalMessages: count,
    messagesToday: count.openapi({ description: 'Since 00:00 UTC.' }),
    uniqueIpsToday: count,
    onlineNow: count,
    topSenders: z.array(SenderSchema),
    topSendersToday: z.array(SenderSchema),
    queue: z
      .object({ waiting: count, active: count, completed: count, failed: count, delayed: count })
      .openapi({ description: 'Jobs by state over every partition, as BullMQ still keeps them (a job may carry a batch of messages).' }),
  })
  .openapi('Stats');

/** The error shape, its `code` narrowed to the codes a response can carry. */
export function errorSchema(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.object({
    error: z.object({
      code: z.enum(codes),
      message: z.string().openapi({ description: 'For people; may change. Act on `code`.' }),
    }),
  });
}

/** The message of a POST body, JSON or form; the bounded reader (message-body.ts) extracts it, this checks it. */
export const MessageBodySchema = z
  .object(
    { message: z.string({ error: (issue) => (issue.input === undefined ? 'The body has no "message" field.' : 'The "message" field must be a string.') }) },
    { error: 'The body must be a JSON object: {"message": "…"}.' },
  )
  .openapi('MessageBody', { example: { message: 'what time is it?' } });
