import { z } from 'zod';
import { normalizeIp } from './ip.js';
import type { MessageJob } from './queue.js';
import { REQUEST_ID_PATTERN, TRACEPARENT_PATTERN, TRACESTATE_PATTERN } from './trace-context.js';

/**
 * The formats of a message job's data. Format 1 is one MessageJob, with no version field, as
 * every job before group commit was. Format 2 is a batch: several messages in one job. A worker
 * takes both, so workers are upgraded before the APIs that send batches.
 */
export const BATCH_FORMAT = 2;

/** The most messages one batch job may carry. */
export const MAX_BATCH_MESSAGES = 1000;

/** Job data format 2: messages that arrived together, answered and retried each on its own. */
export interface BatchJob {
  v: typeof BATCH_FORMAT;
  messages: MessageJob[];
}

export type MessageJobData = MessageJob | BatchJob;

/** Job data that is not a message job of a format we know, or out of its bounds. */
export class InvalidJobDataError extends Error {
  constructor(detail: string) {
    super(`invalid job data: ${detail}`);
    this.name = 'InvalidJobDataError';
  }
}

/**
 * Ids of a batch's messages are the batch's job id (20 characters) and the message's place in
 * it (2 base64url characters), 22 characters like any message id: `GET /v1/messages/{id}` finds
 * a message inside a batch from its id alone, in one look-up.
 */
const BATCH_ID_CHARS = 20;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The id of a batch's `index`th message (0-based, below 4,096). */
export function batchMessageId(batchId: string, index: number): string {
  if (batchId.length !== BATCH_ID_CHARS || index < 0 || index >= 64 * 64) throw new RangeError(`no message ${index} in batch ${batchId}`);
  return `${batchId}${BASE64URL[index >> 6]}${BASE64URL[index & 63]}`;
}

/** The job id of the batch a message id would belong to, if it was sent in one. */
export function batchIdOf(messageId: string): string {
  return messageId.slice(0, BATCH_ID_CHARS);
}

/** The largest message a job may carry: MESSAGE_MAX_BYTES's upper bound, in characters. */
const MAX_MESSAGE_CHARS = 1_048_576;

/** The longest error a failed message carries on to its own job (its history keeps it too). */
const MAX_FAILURE_CHARS = 2000;

/**
 * What a message carries for logs and traces only. A value out of its bounds is dropped, not
 * refused: a message is never failed for its telemetry, and its worker then logs and traces it
 * as it would a message without one.
 */
function telemetryFields() {
  const dropInvalid = (pattern: RegExp) => z.string().regex(pattern).optional().catch(undefined);
  return {
    requestId: dropInvalid(REQUEST_ID_PATTERN),
    traceparent: dropInvalid(TRACEPARENT_PATTERN),
    tracestate: dropInvalid(TRACESTATE_PATTERN),
  };
}

const messageSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  ip: z.string().max(64).refine((ip) => normalizeIp(ip) === ip, 'not a normalized IP address'),
  message: z.string().min(1).max(MAX_MESSAGE_CHARS),
  sendTime: z.iso.datetime({ precision: 3 }),
  attemptsBefore: z.number().int().min(0).max(1000).optional(),
  failure: z.string().max(MAX_FAILURE_CHARS).optional(),
  ...telemetryFields(),
});

const batchSchema = z.object({
  v: z.literal(BATCH_FORMAT),
  messages: z.array(messageSchema).min(1).max(MAX_BATCH_MESSAGES),
});

/**
 * Format 1 has no version field, so a field it does not know means data of another format (or
 * of nobody's): refused rather than read as a message.
 */
const singleMessageSchema = messageSchema.strict();

export function isBatchJob(data: MessageJobData): data is BatchJob {
  return (data as Partial<BatchJob> | null)?.v === BATCH_FORMAT;
}

/**
 * The messages a job's data carries, as they are, unchecked: a batch's messages (none when its
 * list is not one), else the data itself as the one message. For counting and reading times,
 * never for writing: what is written goes through batchMessagesOf and singleMessageOf.
 */
export function carriedMessages(data: MessageJobData | null): ReadonlyArray<Partial<MessageJob> | null> {
  if (data && isBatchJob(data)) return Array.isArray(data.messages) ? data.messages : [];
  return [data];
}

/** The parsed data, or an InvalidJobDataError naming the first problem and where it is. */
function parseJobData<T>(schema: z.ZodType<T>, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidJobDataError(`${issue?.path.join('.') || 'data'}: ${issue?.message ?? 'malformed'}`);
}

/**
 * A batch job's messages, validated: anyone who can add a job (the dashboard, Redis access)
 * decides its data, so its shape and bounds are checked before anything is written.
 */
export function batchMessagesOf(data: unknown): MessageJob[] {
  const { messages } = parseJobData(batchSchema, data);
  const ids = new Set(messages.map((message) => message.id));
  if (ids.size !== messages.length) throw new InvalidJobDataError('messages: an id appears twice');
  return messages;
}

/**
 * A job of one message (format 1), validated as a batch's messages are. Its message id must be
 * its job id, as the API and the workers enqueue it: `GET /v1/messages/{id}` finds it by that
 * id, and a job cannot pass itself off as another message.
 */
export function singleMessageOf(data: unknown, jobId: string | undefined): MessageJob {
  const message = parseJobData(singleMessageSchema, data);
  if (message.id !== jobId) throw new InvalidJobDataError(`id: "${message.id}" is not the job's id`);
  return message;
}
