import { describe, expect, it } from 'vitest';
import { PermanentResponderError } from './errors.js';
import type { ResponderContext } from './responder.js';
import { RulesResponder } from './rules.js';

const context: ResponderContext = {
  id: 'message-1',
  ip: '1.2.3.4',
  sendTime: '2026-11-21T10:00:00.000Z',
  history: () => Promise.reject(new Error('rules never read the history')),
};

describe('RulesResponder', () => {
  const responder = new RulesResponder();

  it.each([
    ['hello', 'Hello, user from 1.2.3.4!'],
    ['Hi there', 'Hello, user from 1.2.3.4!'],
    ['你好', 'Hello, user from 1.2.3.4!'],
    ['what time is it', 'Hello, user from 1.2.3.4! Your message reached us at 2026-11-21T10:00:00.000Z.'],
    ['thanks a lot', "You're welcome, user from 1.2.3.4!"],
    ['is redis fast?', 'Hello, user from 1.2.3.4! Good question: "is redis fast?". A person will know better than these rules.'],
    ['pipelines', 'Hello, user from 1.2.3.4! You said: "pipelines"'],
  ])('answers %j deterministically', async (message, expected) => {
    expect(await responder.respond(message, context)).toBe(expected);
    expect(await responder.respond(message, context)).toBe(expected);
  });

  it('fills templates with the literal message, even one that looks like a template', async () => {
    const custom = new RulesResponder([{ pattern: /./, reply: '{message} from {ip} at {time}' }]);
    expect(await custom.respond('{ip} $& $1', context)).toBe('{ip} $& $1 from 1.2.3.4 at 2026-11-21T10:00:00.000Z');
  });

  it('fails for good when no rule matches: rather than answer with nothing, and another attempt would not match either', async () => {
    const none = new RulesResponder([{ pattern: /^never$/, reply: 'x' }]);
    const failure = none.respond('hello', context);
    await expect(failure).rejects.toThrow(/no rule/);
    await expect(failure).rejects.toBeInstanceOf(PermanentResponderError);
  });
});
