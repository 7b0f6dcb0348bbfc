import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expectError, postMessage, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

const ID = /^[A-Za-z0-9_-]{22}$/;
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ MESSAGE_MAX_BYTES: '16', RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => api.close());

const waitingJobs = () => api.queues.queues[0]!.getWaitingCount();

function post(body: string | Buffer, contentType: string | undefined, localAddress = '127.0.0.1') {
  return request(api.baseUrl, '/v1/messages', {
    method: 'POST',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    body,
    localAddress,
  });
}

describe('POST /v1/messages', () => {
  it('accepts a JSON message: 202, opaque id, recorded ip and send time, Location, and a queued job', async () => {
    const before = Date.now();
    const response = await postMessage(api.baseUrl, 'hello', { localAddress: '127.0.0.5' });

    expect(response.status).toBe(202);
    const body = response.json();
    expect(body).toEqual({ id: expect.stringMatching(ID), status: 'queued', ip: '127.0.0.5', sendTime: expect.stringMatching(ISO_MS) });
    expect(Date.parse(body.sendTime)).toBeGreaterThanOrEqual(before - 1);
    expect(response.headers.location).toBe(`/v1/messages/${body.id}`);

    const job = await api.queues.queues[0]!.getJob(body.id);
    // With the request's id, for the worker's log lines about it (the one the answer carries).
    const requestId = response.headers['x-request-id'];
    expect(job?.data).toEqual({ id: body.id, ip: '127.0.0.5', message: 'hello', sendTime: body.sendTime, requestId });
  });

  it('accepts a form-encoded message, decoding + and percent escapes as UTF-8', async () => {
    const response = await post('message=caf%C3%A9+au+lait', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(202);
    const queued = await api.queues.find('127.0.0.1', response.json().id);
    expect(queued?.job.message).toBe('café au lait');
  });

  it('accepts an explicit UTF-8 charset and a message of exactly MESSAGE_MAX_BYTES bytes', async () => {
    const sixteenBytes = 'ééééééé12'; // 7 × 2 bytes + 2
    expect(Buffer.byteLength(sixteenBytes)).toBe(16);
    const response = await post(JSON.stringify({ message: sixteenBytes }), 'application/json; charset=UTF-8');
    expect(response.status).toBe(202);
  });

  it('gives every message a different id', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => postMessage(api.baseUrl, 'x')));
    const ids = new Set(responses.map((response) => response.json().id));
    expect(ids.size).toBe(20);
  });

  describe('rejects bad input with the error shape and enqueues nothing', () => {
    const cases: Array<[string, string | Buffer, string | undefined, number, string]> = [
      ['malformed JSON', '{"message": ', 'application/json', 400, 'invalid_json'],
      ['a JSON array', '["hello"]', 'application/json', 400, 'invalid_body'],
      ['a missing message field', '{"text": "hello"}', 'application/json', 400, 'invalid_body'],
      ['a message that is not a string', '{"message": 42}', 'application/json', 400, 'invalid_body'],
      ['a body that is not UTF-8', Buffer.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'application/json', 400, 'invalid_body'],
      ['a form escape that is not UTF-8', 'message=%FF%FE', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['a malformed form escape', 'message=%E0%A4%A', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['two form message fields', 'message=a&message=b', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['a form without a message', 'text=hello', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['a white-space message', '{"message": " \\n\\t "}', 'application/json', 400, 'empty_message'],
      ['an empty form message', 'message=+++', 'application/x-www-form-urlencoded', 400, 'empty_message'],
      ['a message one byte too long', JSON.stringify({ message: 'ééééééé123' }), 'application/json', 413, 'message_too_large'],
      ['plain text', 'hello', 'text/plain', 415, 'unsupported_media_type'],
      ['no content type', '{"message": "hello"}', undefined, 415, 'unsupported_media_type'],
      ['a non-UTF-8 charset', '{"message": "hello"}', 'application/json; charset=latin1', 415, 'unsupported_media_type'],
    ];

    it.each(cases)('%s', async (_, body, contentType, status, code) => {
      const before = await waitingJobs();
      expectError(await post(body, contentType), status, code);
      expect(await waitingJobs()).toBe(before);
    });
  });

  it('refuses a body over the limit by its Content-Length, with 413', async () => {
    const body = JSON.stringify({ message: 'x'.repeat(200_000) });
    expectError(await post(body, 'application/json'), 413, 'message_too_large');
  });

  it('stops reading a chunked body once it passes the limit, with 413', async () => {
    const url = new URL('/v1/messages', api.baseUrl);
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"message": "');
      for (let chunk = 0; chunk < 20; chunk++) req.write('x'.repeat(10_000));
      req.end('"}');
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('message_too_large');
  });
});

describe('Idempotency-Key', () => {
  it('returns the first message for a repeat from the same IP and enqueues nothing more', async () => {
    const headers = { 'idempotency-key': 'order-7f3a' };
    const first = await postMessage(api.baseUrl, 'pay once', { headers, localAddress: '127.0.0.21' });
    const before = await waitingJobs();
    const repeat = await postMessage(api.baseUrl, 'pay once', { headers, localAddress: '127.0.0.21' });

    expect(first.status).toBe(202);
    expect(repeat.status).toBe(202);
    expect(repeat.json()).toEqual(first.json());
    expect(repeat.headers.location).toBe(first.headers.location);
    expect(await waitingJobs()).toBe(before);
  });

  it('gives concurrent requests with one key the same message, enqueued once (no 409)', async () => {
    const headers = { 'idempotency-key': 'double-click' };
    const before = await waitingJobs();
    const answers = await Promise.all(Array.from({ length: 8 }, () => postMessage(api.baseUrl, 'once', { headers, localAddress: '127.0.0.25' })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((answer) => answer.json().id)).size).toBe(1);
    expect(await waitingJobs()).toBe(before + 1);
  });

  describe('after a request whose enqueue timed out (its key holds the planned message, unconfirmed)', () => {
    const ip = '127.0.0.26';
    const planned = { id: 'plannedPlannedPlanned1', ip, sendTime: '2026-11-21T10:00:00.000Z' };
    const keyFor = (clientKey: string) => api.keys.idempotency(ip, createHash('sha256').update(clientKey).digest('hex').slice(0, 32));
    const leaveUnconfirmed = (clientKey: string, id: string) =>
      api.redis.set(keyFor(clientKey), `pending:${JSON.stringify({ ...planned, id })}`, 'EX', 60);

    it('a retry enqueues that same message, then repeats answer without enqueueing', async () => {
      const id = 'retryOfALostEnqueue001';
      await leaveUnconfirmed('lost-enqueue', id);
      const before = await waitingJobs();
      const retry = await postMessage(api.baseUrl, 'hello', { headers: { 'idempotency-key': 'lost-enqueue' }, localAddress: ip });
      expect(retry.status).toBe(202);
      expect(retry.json()).toEqual({ id, status: 'queued', ip, sendTime: planned.sendTime });
      expect((await api.queues.find(ip, id))?.job.message).toBe('hello');
      const repeat = await postMessage(api.baseUrl, 'hello', { headers: { 'idempotency-key': 'lost-enqueue' }, localAddress: ip });
      expect(repeat.json().id).toBe(id);
      expect(await waitingJobs()).toBe(before + 1);
    });

    it('a retry of an enqueue that landed late adds nothing', async () => {
      const id = 'lateLandingEnqueue0001';
      await leaveUnconfirmed('late-enqueue', id);
      await api.queues.enqueue({ ...planned, id, message: 'hello' }); // the timed-out add, landing after all
      const before = await waitingJobs();
      const retry = await postMessage(api.baseUrl, 'hello', { headers: { 'idempotency-key': 'late-enqueue' }, localAddress: ip });
      expect(retry.json().id).toBe(id);
      expect(await waitingJobs()).toBe(before);
    });
  });

  it('keeps keys apart per IP', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const one = await postMessage(api.baseUrl, 'a', { headers, localAddress: '127.0.0.22' });
    const other = await postMessage(api.baseUrl, 'a', { headers, localAddress: '127.0.0.23' });
    expect(one.json().id).not.toBe(other.json().id);
  });

  it('rejects a key longer than 200 characters', async () => {
    const response = await postMessage(api.baseUrl, 'a', { headers: { 'idempotency-key': 'k'.repeat(201) } });
    expectError(response, 400, 'invalid_idempotency_key');
  });

  it('stores the key with a 24-hour TTL', async () => {
    await postMessage(api.baseUrl, 'a', { headers: { 'idempotency-key': 'ttl-check' }, localAddress: '127.0.0.24' });
    const [key] = await api.redis.keys(`${api.config.redis.prefix}:ip:{127.0.0.24}:idem:*`);
    expect(key).toBeDefined();
    const ttl = await api.redis.ttl(key!);
    expect(ttl).toBeGreaterThan(24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });
});

describe('rate limit', () => {
  let limited: RunningApi;
  beforeAll(async () => {
    limited = await startApi({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => limited.close());

  it('admits RATE_LIMIT_PER_MINUTE messages per IP, then answers 429 with Retry-After and RateLimit headers', async () => {
    const send = (localAddress: string) => postMessage(limited.baseUrl, 'hi', { localAddress });
    const admitted = [await send('127.0.0.31'), await send('127.0.0.31'), await send('127.0.0.31')];
    expect(admitted.map((response) => response.status)).toEqual([202, 202, 202]);
    expect(admitted[2]!.headers.ratelimit).toMatch(/r=0/);
    expect(admitted[0]!.headers['ratelimit-policy']).toBe('"per-ip";q=3;w=60');

    const rejected = await send('127.0.0.31');
    expectError(rejected, 429, 'rate_limited');
    expect(Number(rejected.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(rejected.headers['retry-after'])).toBeLessThanOrEqual(20);
    expect(await limited.queues.queues[0]!.getWaitingCount()).toBe(3);

    expect((await send('127.0.0.32')).status).toBe(202);
  });

  it('keeps the limiter state in one expiring key per client', async () => {
    await postMessage(limited.baseUrl, 'hi', { localAddress: '127.0.0.33' });
    const ttl = await limited.redis.pttl(limited.keys.rateLimit('127.0.0.33'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
