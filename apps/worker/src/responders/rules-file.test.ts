import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createResponder } from './index.js';
import { jsonPositions, lineAt } from './json-positions.js';
import type { ResponderContext } from './responder.js';
import { loadRulesFile, parseRules, RulesFileError } from './rules-file.js';
import { RulesResponder } from './rules.js';

const directory = mkdtempSync(join(tmpdir(), 'msgpipe-rules-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function writeRules(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

const context: ResponderContext = { id: 'm1', ip: '1.2.3.4', sendTime: '2026-11-21T10:00:00.000Z', history: async () => [] };

const GOOD = `[
  { "pattern": "^ping$", "flags": "i", "reply": "pong to {ip}" },
  { "pattern": "[\\\\s\\\\S]", "reply": "{message} at {time}" }
]
`;

describe('rules files', () => {
  it('loads a good file: first matching rule wins, flags apply, placeholders filled', async () => {
    const responder = new RulesResponder(loadRulesFile(writeRules('good.json', GOOD)));
    expect(await responder.respond('PING', context)).toBe('pong to 1.2.3.4');
    expect(await responder.respond('other', context)).toBe('other at 2026-11-21T10:00:00.000Z');
  });

  it('is what createResponder builds for RESPONDER=rules with RESPONDER_RULES_FILE', async () => {
    const file = writeRules('chosen.json', '[{"pattern": "x", "reply": "from the file"}]');
    const responder = createResponder({ responder: { kind: 'rules', rulesFile: file }, responderPolicy: { timeoutMs: 1000, attempts: 5, maxPerSecond: 0, cacheTtlSeconds: 0, maxResponseBytes: 65_536 } });
    expect(await responder.respond('x', context)).toBe('from the file');
  });

  it('ignores a byte-order mark', () => {
    expect(parseRules(`\uFEFF${GOOD}`, 'bom.json')).toHaveLength(2);
  });

  // [name, file text, expected line, expected reason]
  const BAD: Array<[string, string, number, RegExp]> = [
    ['a trailing comma in a rule', '[\n  {"pattern": "a", "reply": "b",}\n]', 2, /invalid JSON: expected a property name in double quotes, found "}"/],
    ['a trailing comma in the array', '[\n  {"pattern": "a", "reply": "b"},\n\n]', 4, /invalid JSON: expected a value, found "]"/],
    ['a missing comma', '[\n  {"pattern": "a", "reply": "b"}\n  {"pattern": "c", "reply": "d"}\n]', 3, /invalid JSON: expected "," between two elements, found "\{"/],
    ['a line break in a string', '[\n  {"pattern": "a", "reply": "two\nlines"}\n]', 2, /invalid JSON: a string ends without its closing quote/],
    ['single quotes', "[\n\n  {'pattern': 'a'}]", 3, /invalid JSON: unexpected "'"/],
    ['an unterminated array', '[\n  {"pattern": "a", "reply": "b"}\n', 3, /invalid JSON: expected "," or "]" after an array element, found the end of the file/],
    ['an empty file', '', 1, /invalid JSON: expected a value, found the end of the file/],
    ['text after the array', '[]\n\nextra', 3, /invalid JSON: unexpected "e"/],
    ['an object instead of an array', '\n{"pattern": "a", "reply": "b"}', 2, /expected a JSON array of rules/],
    ['an empty array', '[ ]', 1, /the array has no rules/],
    ['a rule that is not an object', '[\n  {"pattern": "a", "reply": "b"},\n  "just text"\n]', 3, /rule 2: a rule must be an object/],
    ['a rule without reply', '[\n  {"pattern": "a", "reply": "b"},\n  {"pattern": "c",\n   "flags": "i"}\n]', 3, /rule 2: "reply" is missing/],
    ['a pattern that is not a string', '[{"pattern": 5, "reply": "b"}]', 1, /rule 1: "pattern" must be a string/],
    ['an empty pattern', '[{"pattern": "", "reply": "b"}]', 1, /rule 1: "pattern" is empty/],
    ['a misspelt field', '[\n{"pattern": "a",\n "replay": "b", "reply": "c"}]', 2, /rule 1: unknown field "replay"/],
    ['an invalid regular expression', '[\n  {"pattern": "ok", "reply": "b"},\n\n  {"pattern": "(", "reply": "b"}\n]', 4, /rule 2: pattern "\(" is not a valid regular expression: .*Unterminated group/],
    ['an unknown flag', '[{"pattern": "a", "flags": "q", "reply": "b"}]', 1, /rule 1: flags "q" are not allowed/],
    ['the stateful g flag', '[{"pattern": "a", "flags": "gi", "reply": "b"}]', 1, /rule 1: flags "gi" are not allowed/],
    ['a repeated flag', '[{"pattern": "a", "flags": "ii", "reply": "b"}]', 1, /rule 1: flags "ii" are not allowed/],
    ['an unknown placeholder', '[\n  {"pattern": "a",\n   "reply": "hi {name}"}]', 2, /rule 1: reply uses unknown placeholder \{name\}; the known ones are \{ip\}, \{message\}, \{time\}/],
  ];

  it.each(BAD)('stops at %s, naming file:line and the reason', (_, text, line, reason) => {
    const file = writeRules('rules.json', text);
    let caught: unknown;
    try {
      loadRulesFile(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RulesFileError);
    const error = caught as RulesFileError;
    expect(error.message.startsWith(`${file}:${line}: `)).toBe(true);
    expect(error.message).toMatch(reason);
    expect(error).toMatchObject({ file, line });
  });

  it('stops at a file it cannot read, naming the file', () => {
    const missing = join(directory, 'missing.json');
    expect(() => loadRulesFile(missing)).toThrow(new RegExp(`^${missing}: cannot read the rules file: ENOENT`));
    expect(() => loadRulesFile(directory)).toThrow(/cannot read the rules file: EISDIR/);
  });

  it('literal braces that are not placeholders stay as they are', async () => {
    const responder = new RulesResponder(parseRules('[{"pattern": "x", "reply": "{ not one } {} {ip}"}]', 'f.json'));
    expect(await responder.respond('x', context)).toBe('{ not one } {} 1.2.3.4');
  });
});

describe('jsonPositions', () => {
  it('agrees with JSON.parse on valid JSON and finds where the root array\'s elements start', () => {
    const text = '[ 1,\n  {"a": [true, false, null, -1.5e3, "\\u00e9\\n"]},\n  "x" ]';
    expect(() => JSON.parse(text)).not.toThrow();
    const positions = jsonPositions(text);
    if (!positions.ok) throw new Error(positions.reason);
    expect(positions.root?.children?.map(({ offset }) => lineAt(text, offset))).toEqual([1, 2, 3]);
  });

  it.each(['{"a": 01}', '[1,]', '["\\x"]', '[tru]', '{"a" 1}', '[-]', '["a"', '[1] // note', '["\t"]'])('rejects %j as JSON.parse does', (text) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonPositions(text).ok).toBe(false);
  });

  it('reports nesting too deep to read instead of exhausting the stack', () => {
    expect(jsonPositions(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toMatchObject({ ok: false, reason: 'nested too deeply to read' });
  });
});
