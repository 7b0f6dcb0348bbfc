import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';

/** Where a JSON text goes wrong, or where the elements of its root array start: for messages by line. */
export type JsonPositions =
  | { ok: true; root: Node | undefined }
  | { ok: false; offset: number; reason: string };

const STRICT_JSON = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

/** What the parser's errors (by the names printParseErrorCode gives) mean to whoever edits the file. */
const REASONS: Readonly<Record<string, string>> = {
  InvalidSymbol: 'unexpected {found}',
  InvalidNumberFormat: 'invalid number {found}',
  PropertyNameExpected: 'expected a property name in double quotes, found {found}',
  ValueExpected: 'expected a value, found {found}',
  ColonExpected: 'expected ":" after a property name, found {found}',
  CommaExpected: 'expected "," between two elements, found {found}',
  CloseBraceExpected: 'expected "," or "}" after a property, found {found}',
  CloseBracketExpected: 'expected "," or "]" after an array element, found {found}',
  EndOfFileExpected: 'unexpected {found} after the end of the JSON value',
  UnexpectedEndOfString: 'a string ends without its closing quote (a line break inside a string is written \\n)',
  InvalidUnicode: 'invalid \\u escape in a string',
  InvalidEscapeCharacter: 'invalid escape sequence in a string',
  InvalidCharacter: 'control character inside a string; write it as \\n, \\t, …',
};

function found(text: string, offset: number): string {
  const char = text[offset];
  return char === undefined ? 'the end of the file' : JSON.stringify(char);
}

/**
 * Reads a text as strict JSON (RFC 8259: no comments, no trailing commas) with jsonc-parser,
 * which gives offsets where JSON.parse only sometimes does.
 */
export function jsonPositions(text: string): JsonPositions {
  const errors: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, errors, STRICT_JSON);
  } catch (error) {
    // The parser recurses per level: a file nested this deep is not a rules file.
    if (error instanceof RangeError) return { ok: false, offset: 0, reason: 'nested too deeply to read' };
    throw error;
  }
  const first = errors[0];
  if (first === undefined) return { ok: true, root };
  const reason = (REASONS[printParseErrorCode(first.error)] ?? 'not valid JSON here').replace('{found}', found(text, first.offset));
  return { ok: false, offset: first.offset, reason };
}

/** The 1-based line of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) line++;
  return line;
}
