import { Timeouts, waitFor } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeUpstream, type UpstreamHandler } from '../upstream.fixture.js';
import { PermanentResponderError } from './errors.js';
import { OpenAIResponder } from './openai.js';
import { responseOf, type Responder, type ResponderContext } from './responder.js';
import { WebhookResponder } from './webhook.js';

const MAX_BYTES = 4096;
const context: ResponderContext = { id: 'msg-1', ip: '192.0.2.1', sendTime: '2026-11-21T10:00:00.000Z', history: async () => [] };

let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

/** Around the answer's text in each responder's reply. */
const envelopes = {
  webhook: ['{"response":"', '"}'],
  openai: ['{"choices":[{"message":{"content":"', '"}}]}'],
} as const;

/** A JSON body of exactly `bytes` bytes that the responder reads as the answer `x…x`. */
function bodyOf(kind: keyof typeof envelopes, bytes: number): { text: string; answerLength: number } {
  const [start, end] = envelopes[kind];
  const answerLength = bytes - start.length - end.length;
  return { text: `${start}${'x'.repeat(answerLength)}${end}`, answerLength };
}

const responders = {
  webhook: (url: string): Responder =>
    new WebhookResponder({ url, secret: 'a-webhook-secret-of-some-length', timeoutMs: Timeouts.request, maxResponseBytes: MAX_BYTES }),
  openai: (url: string): Responder =>
    new OpenAIResponder({ baseUrl: url, apiKey: 'sk-test', model: 'tiny', systemPrompt: undefined, timeoutMs: Timeouts.request, maxResponseBytes: MAX_BYTES, maxTokens: 256, maxTokensField: 'max_tokens' }),
};

describe.each(['webhook', 'openai'] as const)('the %s responder reads at most RESPONSE_MAX_BYTES', (kind) => {
  async function responderAnswering(handler: UpstreamHandler): Promise<Responder> {
    upstream = await FakeUpstream.start(handler);
    return responders[kind](upstream.url);
  }

  it('takes an answer of exactly the limit', async () => {
    const body = bodyOf(kind, MAX_BYTES);
    const responder = await responderAnswering(() => ({ text: body.text }));
    expect(responseOf(await responder.respond('hi', context))).toHaveLength(body.answerLength);
  });

  it('fails for good on an answer one byte over, announced by its Content-Length', async () => {
    const responder = await responderAnswering(() => ({ text: bodyOf(kind, MAX_BYTES + 1).text }));
    const failure = responder.respond('hi', context);
    await expect(failure).rejects.toBeInstanceOf(PermanentResponderError);
    await expect(failure).rejects.toThrow(`${kind} answered more than ${MAX_BYTES} bytes (RESPONSE_MAX_BYTES)`);
  });

  it('stops reading an answer that never ends, and hangs up, long before its timeout', async () => {
    // Chunked, no Content-Length: only counting what arrives can stop it. A reader that
    // buffered the whole body would wait for the timeout and call it transient.
    const responder = await responderAnswering(() => ({ endless: 'x'.repeat(1000) }));
    const failure = responder.respond('hi', context);
    await expect(failure).rejects.toBeInstanceOf(PermanentResponderError);
    await expect(failure).rejects.toThrow(`${kind} answered more than ${MAX_BYTES} bytes (RESPONSE_MAX_BYTES)`);
    const server = upstream!;
    await waitFor('the responder to hang up', () => server.endlessAnswersClosed === 1);
  });

  it('reads at most the limit of an error answer too', async () => {
    const responder = await responderAnswering(() => ({ status: 400, endless: 'e'.repeat(1000) }));
    const failure = responder.respond('hi', context);
    await expect(failure).rejects.toBeInstanceOf(PermanentResponderError);
    await expect(failure).rejects.toThrow(`${kind} answered HTTP 400`);
  });
});
