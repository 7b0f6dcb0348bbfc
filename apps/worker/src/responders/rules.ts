import { PermanentResponderError } from './errors.js';
import { FailureReason } from './failure-reasons.js';
import type { Responder, ResponderContext } from './responder.js';

/** A pattern on the message text and a reply template with `{ip}`, `{message}` and `{time}`. */
export interface Rule {
  pattern: RegExp;
  reply: string;
}

/** The placeholders a reply template may use; `{time}` is the message's send time. */
export const TEMPLATE_PLACEHOLDERS = ['ip', 'message', 'time'] as const;

export const BUILT_IN_RULES: readonly Rule[] = [
  // `\b` only knows ASCII word characters, so CJK greetings are matched without it.
  { pattern: /^\s*(?:(?:hi|hello|hey|hola|bonjour)\b|你好)/iu, reply: 'Hello, user from {ip}!' },
  { pattern: /\b(time|date|when)\b|几点/iu, reply: 'Hello, user from {ip}! Your message reached us at {time}.' },
  { pattern: /\b(thanks|thank you)\b|谢谢/iu, reply: "You're welcome, user from {ip}!" },
  { pattern: /\?\s*$/u, reply: 'Hello, user from {ip}! Good question: "{message}". A person will know better than these rules.' },
  { pattern: /[\s\S]/u, reply: 'Hello, user from {ip}! You said: "{message}"' },
];

/** The default responder: deterministic, first matching rule wins. */
export class RulesResponder implements Responder {
  constructor(private readonly rules: readonly Rule[] = BUILT_IN_RULES) {}

  async respond(message: string, { ip, sendTime }: ResponderContext): Promise<string> {
    const rule = this.rules.find(({ pattern }) => pattern.test(message));
    // Rules are deterministic: another attempt would find no rule either.
    if (!rule) throw new PermanentResponderError('no rule matches the message', { reason: FailureReason.noRule });
    const values: Record<string, string> = { ip, message, time: sendTime };
    // A function replacement, so `$&` in the message is inserted literally.
    return rule.reply.replace(/\{(ip|message|time)\}/g, (_, name: string) => values[name] ?? '');
  }
}
