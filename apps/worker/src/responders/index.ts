import type { Config } from '@msgpipe/shared';
import { OpenAIResponder } from './openai.js';
import type { Responder } from './responder.js';
import { loadRulesFile } from './rules-file.js';
import { RulesResponder } from './rules.js';
import { WebhookResponder } from './webhook.js';

export interface ResponderFactoryDeps {
  /** The HTTP client of the webhook and openai responders; default the global fetch. */
  fetch?: typeof fetch;
}

/**
 * The responder RESPONDER names. Throws when it cannot be built (a bad rules file, with its
 * file:line and reason), so a worker stops before it takes a single message.
 */
export function createResponder({ responder, responderPolicy }: Pick<Config, 'responder' | 'responderPolicy'>, deps: ResponderFactoryDeps = {}): Responder {
  switch (responder.kind) {
    case 'rules':
      return new RulesResponder(responder.rulesFile === undefined ? undefined : loadRulesFile(responder.rulesFile));
    case 'webhook':
      return new WebhookResponder({
        url: responder.url,
        secret: responder.secret,
        timeoutMs: responderPolicy.timeoutMs,
        maxResponseBytes: responderPolicy.maxResponseBytes,
        fetch: deps.fetch,
      });
    case 'openai':
      return new OpenAIResponder({
        baseUrl: responder.baseUrl,
        apiKey: responder.apiKey,
        model: responder.model,
        systemPrompt: responder.systemPrompt,
        maxTokens: responder.maxTokens,
        maxTokensField: responder.maxTokensField,
        timeoutMs: responderPolicy.timeoutMs,
        maxResponseBytes: responderPolicy.maxResponseBytes,
        fetch: deps.fetch,
      });
  }
}

export { failureReasonOf, isPermanentFailure, parseRetryAfter, PermanentResponderError, retryAfterMsOf, TransientResponderError } from './errors.js';
export { FailureReason, knownReason } from './failure-reasons.js';
export { chatMessages, OpenAIResponder, type ChatMessage, type OpenAIResponderOptions } from './openai.js';
export { responseOf, type Answer, type Reply, type Responder, type ResponderContext, type ResponderKind } from './responder.js';
export { loadRulesFile, parseRules, RulesFileError } from './rules-file.js';
export { BUILT_IN_RULES, RulesResponder, TEMPLATE_PLACEHOLDERS, type Rule } from './rules.js';
export { signWebhookBody, verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';
export { WebhookResponder, type WebhookResponderOptions } from './webhook.js';
