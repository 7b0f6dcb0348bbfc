import { describe, expect, it } from 'vitest';
import { RulesResponder } from './responder.js';

const context = { ip: '1.2.3.4', sendTime: '2026-11-21T10:00:00.000Z' };

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

  it('fails when no rule matches, so the job is retried rather than answered with nothing', async () => {
    const none = new RulesResponder([{ pattern: /^never$/, reply: 'x' }]);
    await expect(none.respond('hello', context)).rejects.toThrow(/no rule/);
  });
});
