import { describe, expect, it } from 'vitest';
import { BATCH_FORMAT, batchMessagesOf, carriedMessages, InvalidJobDataError, isBatchJob, MAX_BATCH_MESSAGES, singleMessageOf } from './job-data.js';

const message = (n: number, overrides: Record<string, unknown> = {}) => ({
  id: `msg-${n}`,
  ip: '192.0.2.1',
  message: `hello ${n}`,
  sendTime: '2026-12-02T10:00:00.000Z',
  ...overrides,
});

describe('batch job data', () => {
  it('tells a batch from a one-message job of format 1', () => {
    expect(isBatchJob({ v: BATCH_FORMAT, messages: [message(1)] })).toBe(true);
    expect(isBatchJob(message(1))).toBe(false);
  });

  it('gives a well-formed batch its messages, in order', () => {
    const messages = [message(1), message(2, { ip: '2001:db8::1', attemptsBefore: 1 })];
    expect(batchMessagesOf({ v: BATCH_FORMAT, messages })).toEqual(messages);
  });

  it.each([
    ['no messages', { v: BATCH_FORMAT, messages: [] }, /messages/],
    ['too many messages', { v: BATCH_FORMAT, messages: Array.from({ length: MAX_BATCH_MESSAGES + 1 }, (_, n) => message(n)) }, /messages/],
    ['another format', { v: 3, messages: [message(1)] }, /v/],
    ['an id twice', { v: BATCH_FORMAT, messages: [message(1), message(1)] }, /twice/],
    ['an id with a key separator', { v: BATCH_FORMAT, messages: [message(1, { id: 'a:b' })] }, /messages\.0\.id/],
    ['an address that is not one', { v: BATCH_FORMAT, messages: [message(1, { ip: 'somewhere' })] }, /messages\.0\.ip/],
    ['an address not normalized', { v: BATCH_FORMAT, messages: [message(1, { ip: '2001:DB8::1' })] }, /messages\.0\.ip/],
    ['a message that is not text', { v: BATCH_FORMAT, messages: [message(1, { message: 42 })] }, /messages\.0\.message/],
    ['a send time that is not one', { v: BATCH_FORMAT, messages: [message(1, { sendTime: 'yesterday' })] }, /messages\.0\.sendTime/],
  ])('refuses %s with a clear error', (_, data, detail) => {
    expect(() => batchMessagesOf(data)).toThrow(InvalidJobDataError);
    expect(() => batchMessagesOf(data)).toThrow(detail);
  });
});

describe('carriedMessages: what a job holds, unchecked, for counting and reading times', () => {
  const one = { id: 'a', ip: '1.2.3.4', message: 'hi', sendTime: '2000-01-01T00:00:00.000Z' };

  it('is the messages of a batch, or the data itself as the one message', () => {
    expect(carriedMessages({ v: BATCH_FORMAT, messages: [one, one] })).toEqual([one, one]);
    expect(carriedMessages(one)).toEqual([one]);
  });

  it('is nothing for a batch whose list is not one, and the data as it is otherwise', () => {
    expect(carriedMessages({ v: BATCH_FORMAT, messages: 'nope' } as never)).toEqual([]);
    expect(carriedMessages(null)).toEqual([null]);
  });
});

describe('job data of one message (format 1)', () => {
  it('gives a well-formed message back, with what a batch handed on', () => {
    const handedOn = message(1, { attemptsBefore: 2, failure: 'webhook answered HTTP 400' });
    expect(singleMessageOf(message(1), 'msg-1')).toEqual(message(1));
    expect(singleMessageOf(handedOn, 'msg-1')).toEqual(handedOn);
  });

  it.each([
    ['an address that is not one', message(1, { ip: 'somewhere' }), /^invalid job data: ip: /],
    ['a message that is empty', message(1, { message: '' }), /^invalid job data: message: /],
    ['a failure too long to carry', message(1, { failure: 'x'.repeat(2001) }), /^invalid job data: failure: /],
    ['a field of another format', message(1, { v: 3 }), /^invalid job data: data: .*"v"/],
    ['an id other than the job’s', message(2), /^invalid job data: id: "msg-2" is not the job's id$/],
    ['null', null, /^invalid job data: data: /],
  ])('refuses %s with a clear error', (_, data, detail) => {
    expect(() => singleMessageOf(data, 'msg-1')).toThrow(InvalidJobDataError);
    expect(() => singleMessageOf(data, 'msg-1')).toThrow(detail);
  });
});

describe('what a message carries for logs and traces', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const carried = { requestId: 'req-1', traceparent, tracestate: 'vendor=1' };

  it('keeps a valid request id and trace context, in both formats', () => {
    expect(singleMessageOf(message(1, carried), 'msg-1')).toEqual(message(1, carried));
    expect(batchMessagesOf({ v: BATCH_FORMAT, messages: [message(1, carried), message(2)] })).toEqual([message(1, carried), message(2)]);
  });

  it.each([
    ['a request id too long', { requestId: 'r'.repeat(129) }, 'requestId'],
    ['a request id with a newline', { requestId: 'a\nb' }, 'requestId'],
    ['a traceparent too long', { traceparent: `${traceparent}-${'0'.repeat(200)}` }, 'traceparent'],
    ['a traceparent that is not text', { traceparent: 42 }, 'traceparent'],
    ['a tracestate too long', { tracestate: 'v='.padEnd(600, 'x') }, 'tracestate'],
  ])('drops %s, and still takes the message', (_, fields, name) => {
    const parsed = singleMessageOf(message(1, { ...carried, ...fields }), 'msg-1');
    expect(parsed[name as keyof typeof parsed]).toBeUndefined();
    expect(parsed).toMatchObject({ id: 'msg-1', message: 'hello 1' });
    const [inBatch] = batchMessagesOf({ v: BATCH_FORMAT, messages: [message(1, { ...carried, ...fields })] });
    expect(inBatch![name as keyof typeof inBatch]).toBeUndefined();
  });
});
