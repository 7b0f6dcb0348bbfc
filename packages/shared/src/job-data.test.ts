import { describe, expect, it } from 'vitest';
import { BATCH_FORMAT, batchMessagesOf, InvalidJobDataError, isBatchJob, MAX_BATCH_MESSAGES } from './job-data.js';

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
