import { z } from 'zod';
import { PermanentResponderError } from './errors.js';
import { FailureReason } from './failure-reasons.js';
import { postJson } from './http-call.js';
import type { Answer, Responder, ResponderContext } from './responder.js';
import { signWebhookBody, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';

export interface WebhookResponderOptions {
  url: string;
  /** RESPONDER_SECRET: the HMAC key of the signature header. */
  secret: string;
  timeoutMs: number;
  /** RESPONSE_MAX_BYTES. */
  maxResponseBytes: number;
  fetch?: typeof fetch;
}

const webhookReply = z.object({ response: z.string() });

/**
 * Asks an HTTP endpoint: POST `{id, ip, message, sendTime}` as JSON, signed in the
 * `Msgpipe-Signature` header; the reply must be JSON with a string `response`. A retry sends
 * the same id (and a fresh signature), so the receiver can recognise it.
 */
export class WebhookResponder implements Responder {
  constructor(private readonly options: WebhookResponderOptions) {}

  async respond(message: string, { id, ip, sendTime }: ResponderContext): Promise<Answer> {
    const { url, secret, timeoutMs, maxResponseBytes, fetch } = this.options;
    const body = JSON.stringify({ id, ip, message, sendTime });
    const { json: reply, cacheControl } = await postJson({
      upstream: 'webhook',
      url,
      headers: { [WEBHOOK_SIGNATURE_HEADER]: signWebhookBody(secret, body) },
      body,
      timeoutMs,
      maxResponseBytes,
      fetch,
    });
    const parsed = webhookReply.safeParse(reply);
    if (!parsed.success) {
      throw new PermanentResponderError('webhook reply has no string "response" field', { detail: JSON.stringify(reply).slice(0, 300), reason: FailureReason.unreadable });
    }
    return { response: parsed.data.response, cacheControl };
  }
}
