import type { HistoryEntry } from '@msgpipe/shared';
import { z } from 'zod';
import { PermanentResponderError } from './errors.js';
import { FailureReason } from './failure-reasons.js';
import { postJson } from './http-call.js';
import type { Answer, Responder, ResponderContext } from './responder.js';

export interface OpenAIResponderOptions {
  /** OPENAI_BASE_URL, e.g. https://api.openai.com/v1 (a trailing slash is fine). */
  baseUrl: string;
  apiKey: string;
  model: string;
  systemPrompt: string | undefined;
  /**
   * The longest completion the model may generate, sent as `maxTokensField`: OpenAI's current
   * models want max_completion_tokens, some compatible servers only know max_tokens.
   */
  maxTokens: number;
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  timeoutMs: number;
  /** RESPONSE_MAX_BYTES. */
  maxResponseBytes: number;
  fetch?: typeof fetch;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const completion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});

/**
 * The conversation so far: the system prompt, the IP's completed exchanges oldest first as
 * user/assistant pairs (a failed one has no answer to show the model), then the new message.
 */
export function chatMessages(message: string, history: readonly HistoryEntry[], systemPrompt: string | undefined): ChatMessage[] {
  const earlier = history
    .filter((entry) => entry.status === 'completed' && entry.response !== undefined)
    .reverse()
    .flatMap((entry): ChatMessage[] => [
      { role: 'user', content: entry.message },
      { role: 'assistant', content: entry.response! },
    ]);
  return [...(systemPrompt ? [{ role: 'system' as const, content: systemPrompt }] : []), ...earlier, { role: 'user', content: message }];
}

/** Any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, …). */
export class OpenAIResponder implements Responder {
  readonly #url: string;

  constructor(private readonly options: OpenAIResponderOptions) {
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  async respond(message: string, context: ResponderContext): Promise<Answer> {
    const { apiKey, model, systemPrompt, maxTokens, maxTokensField, timeoutMs, maxResponseBytes, fetch } = this.options;
    const messages = chatMessages(message, await context.history(), systemPrompt);
    const { json: reply, cacheControl } = await postJson({
      upstream: 'openai',
      url: this.#url,
      headers: { authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ model, messages, [maxTokensField]: maxTokens }),
      timeoutMs,
      maxResponseBytes,
      fetch,
    });
    const parsed = completion.safeParse(reply);
    if (!parsed.success) {
      throw new PermanentResponderError('openai reply has no choices[0].message.content string', { detail: JSON.stringify(reply).slice(0, 300), reason: FailureReason.unreadable });
    }
    return { response: parsed.data.choices[0]!.message.content, cacheControl };
  }
}
