import { afterEach, describe, expect, it } from 'vitest';
import { FakeUpstream, type UpstreamHandler } from '../upstream.fixture.js';
import { PermanentResponderError, TransientResponderError } from './errors.js';
import type { ResponderContext } from './responder.js';
import { signWebhookBody, verifyWebhookSignature } from './webhook-signature.js';
import { WebhookResponder } from './webhook.js';

const SECRET = 'a-webhook-secret-of-some-length';
const context: ResponderContext = {
  id: 'msg-1',
  ip: '2001:db8::1',
  sendTime: '2026-11-21T10:00:00.000Z',
  history: () => Promise.reject(new Error('the webhook does not send the history')),
};

let upstream: FakeUpstream | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

async function responderAnswering(handler: UpstreamHandler, timeoutMs = 2000): Promise<WebhookResponder> {
  upstream = await FakeUpstream.start(handler);
  return new WebhookResponder({ url: `${upstream.url}/hooks/msgpipe`, secret: SECRET, timeoutMs, maxResponseBytes: 65_536 });
}

describe('WebhookResponder', () => {
  it('POSTs {id, ip, message, sendTime} as signed JSON and answers with the reply\'s response', async () => {
    const responder = await responderAnswering((call) =>
      verifyWebhookSignature(SECRET, call.headers['msgpipe-signature'] as string, call.body, 60)
        ? { json: { response: `got ${(JSON.parse(call.body) as { message: string }).message}` } }
        : { status: 401, json: { error: 'bad signature' } },
    );

    expect(await responder.respond('héllo "quoted" ✓', context)).toEqual({ response: 'got héllo "quoted" ✓', cacheControl: null });
    const [call] = upstream!.calls;
    expect(call).toMatchObject({ method: 'POST', path: '/hooks/msgpipe' });
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.headers['msgpipe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(JSON.parse(call!.body)).toEqual({ id: 'msg-1', ip: '2001:db8::1', message: 'héllo "quoted" ✓', sendTime: '2026-11-21T10:00:00.000Z' });
  });

  it("hands on the reply's Cache-Control with the answer, for the response cache", async () => {
    const responder = await responderAnswering(() => ({ headers: { 'cache-control': 'public, max-age=30' }, json: { response: 'same for all' } }));
    expect(await responder.respond('hi', context)).toEqual({ response: 'same for all', cacheControl: 'public, max-age=30' });
  });

  it.each([
    [500, {}, undefined],
    [503, { 'retry-after': '7' }, 7000],
    [429, { 'retry-after': '2' }, 2000],
    [408, {}, undefined],
  ])('treats HTTP %i as transient, with its Retry-After', async (status, headers, retryAfterMs) => {
    const responder = await responderAnswering(() => ({ status, headers, json: { error: 'later' } }));
    const failure = responder.respond('hi', context);
    await expect(failure).rejects.toBeInstanceOf(TransientResponderError);
    await expect(failure).rejects.toMatchObject({ message: `webhook answered HTTP ${status}`, retryAfterMs });
  });

  it.each([
    ['HTTP 400', { status: 400, json: { error: 'no' } }, /webhook answered HTTP 400/],
    ['HTTP 404', { status: 404, text: 'not here' }, /webhook answered HTTP 404/],
    ['a redirect', { status: 302, headers: { location: '/elsewhere' }, text: '' }, /webhook answered HTTP 302/],
    ['a body that is not JSON', { text: '<html>ok</html>' }, /not JSON/],
    ['JSON without response', { json: { answer: 'x' } }, /no string "response"/],
    ['a response that is not a string', { json: { response: 42 } }, /no string "response"/],
  ])('treats %s as permanent', async (_, reply, message) => {
    const responder = await responderAnswering(() => reply);
    const failure = responder.respond('hi', context);
    await expect(failure).rejects.toBeInstanceOf(PermanentResponderError);
    await expect(failure).rejects.toThrow(message);
  });

  it('gives up after RESPONDER_TIMEOUT_MS on a receiver that does not answer, as a transient failure', async () => {
    const responder = await responderAnswering(() => ({ hang: true }), 200);
    const failure = responder.respond('hi', context);
    await expect(failure).rejects.toBeInstanceOf(TransientResponderError);
    // The responder's own deadline fired: a hang would reach the test's time-out instead.
    await expect(failure).rejects.toThrow('webhook did not answer within 200 ms');
  });

  it('treats an unreachable receiver as transient', async () => {
    upstream = await FakeUpstream.start(() => ({ json: {} }));
    const url = upstream.url;
    await upstream.close();
    upstream = undefined;
    const failure = new WebhookResponder({ url, secret: SECRET, timeoutMs: 2000, maxResponseBytes: 65_536 }).respond('hi', context);
    await expect(failure).rejects.toBeInstanceOf(TransientResponderError);
    await expect(failure).rejects.toThrow(/webhook unreachable/);
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"id":"msg-1","message":"hi"}';
  // A whole second from the real clock: the signature's timestamp is in seconds.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const header = signWebhookBody(SECRET, body, now);

  it('accepts a signature made with the secret over this body, within the tolerance', () => {
    expect(header).toBe(`t=${now / 1000},v1=${header.split('v1=')[1]}`);
    expect(verifyWebhookSignature(SECRET, header, body, 300, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, body, 300, now + 299_000)).toBe(true);
  });

  it.each([
    ['another secret', () => verifyWebhookSignature('another-secret-of-some-length', header, body, 300, now)],
    ['a changed body', () => verifyWebhookSignature(SECRET, header, body.replace('hi', 'ho'), 300, now)],
    ['a replaced timestamp', () => verifyWebhookSignature(SECRET, header.replace(/^t=\d+/, `t=${now / 1000 + 1}`), body, 300, now)],
    ['an old signature (a replay)', () => verifyWebhookSignature(SECRET, header, body, 300, now + 301_000)],
    ['no header', () => verifyWebhookSignature(SECRET, undefined, body, 300, now)],
    ['a header without v1', () => verifyWebhookSignature(SECRET, `t=${now / 1000}`, body, 300, now)],
    ['a garbled header', () => verifyWebhookSignature(SECRET, 'v1=,t=x', body, 300, now)],
  ])('rejects %s', (_, verify) => {
    expect(verify()).toBe(false);
  });

  it('accepts any of several v1 signatures, for secret rotation', () => {
    const fromOldSecret = signWebhookBody('the-old-secret-of-some-length', body, now).split(',')[1];
    expect(verifyWebhookSignature(SECRET, `${header},${fromOldSecret}`, body, 300, now)).toBe(true);
    expect(verifyWebhookSignature('the-old-secret-of-some-length', `${header},${fromOldSecret}`, body, 300, now)).toBe(true);
  });
});
