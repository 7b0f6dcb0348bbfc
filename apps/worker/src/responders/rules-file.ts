import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { jsonPositions, lineAt } from './json-positions.js';
import { TEMPLATE_PLACEHOLDERS, type Rule } from './rules.js';

/** A rules file that cannot be used; the message reads `file:line: reason`. */
export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
  }
}

/**
 * `g` and `y` make RegExp.test() remember where it stopped (lastIndex), so one rule would
 * match a message and then miss the next identical one.
 */
const ALLOWED_FLAGS = /^[imsuv]*$/;

const stringField = (name: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `"${name}" is missing` : `"${name}" must be a string`) });

const ruleSchema = z.strictObject(
  {
    pattern: stringField('pattern').min(1, { error: '"pattern" is empty (use "[\\\\s\\\\S]" to match every message)' }),
    flags: stringField('flags').optional(),
    reply: stringField('reply'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')} (a rule has "pattern", "reply" and optionally "flags")`
        : 'a rule must be an object {"pattern", "flags"?, "reply"}',
  },
);

type RuleSpec = z.output<typeof ruleSchema>;

/** Compiles one validated rule, or returns why it cannot be used. */
function compileRule({ pattern, flags = '', reply }: RuleSpec): Rule | string {
  if (!ALLOWED_FLAGS.test(flags) || new Set(flags).size !== flags.length) {
    return `flags ${JSON.stringify(flags)} are not allowed: use some of i, m, s, u, v, each once (g and y would make matching depend on the previous message)`;
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(pattern, flags);
  } catch (error) {
    return `pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`;
  }
  const known: readonly string[] = TEMPLATE_PLACEHOLDERS;
  for (const [, name] of reply.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (!known.includes(name!)) {
      return `reply uses unknown placeholder {${name}}; the known ones are ${TEMPLATE_PLACEHOLDERS.map((known) => `{${known}}`).join(', ')}`;
    }
  }
  return { pattern: compiled, reply };
}

/**
 * Parses a rules file's text: a JSON array of `{"pattern", "flags"?, "reply"}`, first match
 * wins. Every problem is reported with the line it is on (for a bad rule, the line where the
 * rule starts), so whoever edits the file knows where to look.
 */
export function parseRules(text: string, file: string): Rule[] {
  const source = text.replace(/^\uFEFF/, ''); // an editor's byte-order mark is not a syntax error
  const positions = jsonPositions(source);
  if (!positions.ok) throw new RulesFileError(file, lineAt(source, positions.offset), `invalid JSON: ${positions.reason}`);
  let document: unknown;
  try {
    document = JSON.parse(source);
  } catch (error) {
    throw new RulesFileError(file, undefined, `invalid JSON: ${(error as Error).message}`);
  }
  const firstLine = lineAt(source, source.search(/\S/));
  if (!Array.isArray(document)) {
    throw new RulesFileError(file, firstLine, 'expected a JSON array of rules [{"pattern", "flags"?, "reply"}, …]');
  }
  if (document.length === 0) throw new RulesFileError(file, firstLine, 'the array has no rules');
  const elements = positions.root?.children ?? [];

  return document.map((element: unknown, index) => {
    const line = lineAt(source, elements[index]?.offset ?? 0);
    const parsed = ruleSchema.safeParse(element);
    const rule = parsed.success ? compileRule(parsed.data) : parsed.error.issues[0]!.message;
    if (typeof rule === 'string') throw new RulesFileError(file, line, `rule ${index + 1}: ${rule}`);
    return rule;
  });
}

/** Reads and parses RESPONDER_RULES_FILE; throws a RulesFileError the worker stops with. */
export function loadRulesFile(file: string): Rule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RulesFileError(file, undefined, `cannot read the rules file: ${(error as Error).message}`);
  }
  return parseRules(text, file);
}
