import type { HistoryEntry } from '@msgpipe/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeUpstream, type UpstreamCall, type UpstreamHandler } from '../upstream.fixture.js';
import { PermanentResponderError, TransientResponderError } from './errors.js';
import { chatMessages, OpenAIResponder } from './openai.js';
import type { ResponderContext } from './responder.js';

const API_KEY = 'sk-test-key';

/** Newest first, as HistoryStore.list returns it. */
const HISTORY: HistoryEntry[] = [
  { id: 'm3', message: 'and the sea?', sendTime: '2026-11-21T10:02:00.000Z', status: 'completed', response: 'Blue too.', respondedAt: '2026-11-21T10:02:01.000Z' },
  { id: 'm2', message: 'lost one', sendTime: '2026-11-21T10:01:00.000Z', status: 'failed', error: 'openai answered HTTP 400', respondedAt: '2026-11-21T10:01:01.000Z' },
  { id: 'm1', message: 'what colour is the sky?', sendTime: '2026-11-21T10:00:00.000Z', status: 'completed', response: 'Blue.', respondedAt: '2026-11-21T10:00:01.000Z' },
];

function contextWith(history: HistoryEntry[]): ResponderContext & { historyReads: number } {
  return {
    id: 'm4',
    ip: '1.2.3.4',
    sendTime: '2026-11-21T10:03:00.000Z',
    historyReads: 0,
    async history() {
      this.historyReads++;
      return history;
    },
  };
}

const completion = (content: unknown) => ({ json: { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] } });

/** Answers like an OpenAI-compatible server, and only to a well-formed request. */
function checkedCompletion(call: UpstreamCall) {
  if (call.path !== '/v1/chat/completions') return { status: 404, json: { error: { message: `no route ${call.path}` } } };
  if (call.headers.authorization !== `Bearer ${API_KEY}`) return { status: 401, json: { error: { message: 'bad key' } } };
  const body = JSON.parse(call.body) as { model?: unknown; messages?: Array<{ role: string; content: string }> };
  if (body.model !== 'tiny-model' || !Array.isArray(body.messages)) return { status: 400, json: { error: { message: 'bad request' } } };
  return completion(`echo: ${body.messages.at(-1)!.content}`);
}

let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

async function responderAt(
  handler: UpstreamHandler,
  options: { baseSuffix?: string; systemPrompt?: string; timeoutMs?: number; maxTokensField?: 'max_completion_tokens' | 'max_tokens' } = {},
) {
  upstream = await FakeUpstream.start(handler);
  return new OpenAIResponder({
    baseUrl: `${upstream.url}${options.baseSuffix ?? '/v1'}`,
    apiKey: API_KEY,
    model: 'tiny-model',
    systemPrompt: options.systemPrompt,
    maxTokens: 256,
    maxTokensField: options.maxTokensField ?? 'max_completion_tokens',
    timeoutMs: options.timeoutMs ?? 2000,
    maxResponseBytes: 65_536,
  });
}

describe('OpenAIResponder', () => {
  it('sends the model, the key, the system prompt, the conversation so far and a bound on the completion, and answers with it', async () => {
    const responder = await responderAt(checkedCompletion, { systemPrompt: 'You are terse.' });
    const context = contextWith(HISTORY);

    expect(await responder.respond('and grass?', context)).toEqual({ response: 'echo: and grass?', cacheControl: null });
    expect(context.historyReads).toBe(1);
    const [call] = upstream!.calls;
    expect(call!.method).toBe('POST');
    expect(call!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call!.body)).toEqual({
      model: 'tiny-model',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'what colour is the sky?' },
        { role: 'assistant', content: 'Blue.' },
        { role: 'user', content: 'and the sea?' },
        { role: 'assistant', content: 'Blue too.' },
        { role: 'user', content: 'and grass?' },
      ],
      max_completion_tokens: 256,
    });
  });

  it('accepts a base URL with a trailing slash, and works without history or system prompt', async () => {
    const responder = await responderAt(checkedCompletion, { baseSuffix: '/v1/' });
    expect(await responder.respond('first words', contextWith([]))).toEqual({ response: 'echo: first words', cacheControl: null });
    expect(JSON.parse(upstream!.calls[0]!.body)).toEqual({ model: 'tiny-model', messages: [{ role: 'user', content: 'first words' }], max_completion_tokens: 256 });
  });

  it('sends the bound as max_tokens to servers that only know that name (OPENAI_MAX_TOKENS_FIELD)', async () => {
    const responder = await responderAt(checkedCompletion, { maxTokensField: 'max_tokens' });
    expect(await responder.respond('hi', contextWith([]))).toEqual({ response: 'echo: hi', cacheControl: null });
    expect(JSON.parse(upstream!.calls[0]!.body)).toEqual({ model: 'tiny-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 256 });
  });

  it.each([
    ['HTTP 500', { status: 500, json: { error: { message: 'overloaded' } } }, undefined],
    ['HTTP 429 with Retry-After', { status: 429, headers: { 'retry-after': '3' }, json: { error: { message: 'rate limit' } } }, 3000],
  ])('treats %s as transient', async (_, reply, retryAfterMs) => {
    const responder = await responderAt(() => reply);
    const failure = responder.respond('hi', contextWith([]));
    await expect(failure).rejects.toBeInstanceOf(TransientResponderError);
    await expect(failure).rejects.toMatchObject({ retryAfterMs });
  });

  it('treats a slow answer, beyond RESPONDER_TIMEOUT_MS, as transient', async () => {
    const responder = await responderAt(() => ({ hang: true }), { timeoutMs: 200 });
    const failure = responder.respond('hi', contextWith([]));
    await expect(failure).rejects.toBeInstanceOf(TransientResponderError);
    await expect(failure).rejects.toMatchObject({ message: 'openai did not answer within 200 ms', reason: 'the responder did not answer in time' });
  });

  it.each([
    ['HTTP 400', { status: 400, json: { error: { message: 'context length exceeded' } } }, /openai answered HTTP 400/],
    ['HTTP 401', { status: 401, json: { error: { message: 'bad key' } } }, /openai answered HTTP 401/],
    ['no choices', { json: { choices: [] } }, /no choices\[0\]\.message\.content/],
    ['a null content (a tool call)', completion(null), /no choices\[0\]\.message\.content/],
    ['a body that is not JSON', { text: 'upstream says hi' }, /not JSON/],
  ])('treats %s as permanent, keeping the upstream body for the log', async (_, reply, message) => {
    const responder = await responderAt(() => reply);
    const failure = responder.respond('hi', contextWith([]));
    await expect(failure).rejects.toBeInstanceOf(PermanentResponderError);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toMatchObject({ detail: expect.any(String) });
  });
});

describe('chatMessages', () => {
  it('puts completed exchanges oldest first and leaves out failed ones', () => {
    expect(chatMessages('now', HISTORY, undefined).map(({ role }) => role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
  });
});
