/**
 * Locates what JSON.parse only half reports: where a syntax error is (its messages carry a
 * position for some errors and not for others) and where each element of a top-level array
 * starts, so a rules file's problems can be reported by line.
 */
export interface JsonScan {
  /** The first syntax error, at an offset into the text; undefined when the text is valid JSON. */
  syntaxError: { offset: number; reason: string } | undefined;
  /** Offsets of the elements of the root array (empty when the root is not an array). */
  rootElementOffsets: number[];
}

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Deeper than any sensible file, shallow enough not to exhaust the stack. */
const MAX_DEPTH = 256;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** A validating pass over the JSON grammar (RFC 8259) that builds no values. */
class Scanner {
  #offset = 0;
  readonly rootElementOffsets: number[] = [];

  constructor(private readonly text: string) {}

  scan(): void {
    this.#whitespace();
    this.#value(0);
    this.#whitespace();
    if (this.#offset < this.text.length) this.#fail(`unexpected ${this.#found()} after the end of the JSON value`);
  }

  #value(depth: number): void {
    if (depth > MAX_DEPTH) this.#fail(`nested more than ${MAX_DEPTH} levels deep`);
    const char = this.text[this.#offset];
    if (char === '{') return this.#object(depth);
    if (char === '[') return this.#array(depth);
    if (char === '"') return this.#string();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.#offset)) {
        this.#offset += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = this.#offset;
    if (NUMBER.test(this.text)) {
      this.#offset = NUMBER.lastIndex;
      return;
    }
    this.#fail(`expected a value, found ${this.#found()}`);
  }

  #array(depth: number): void {
    this.#offset++;
    this.#whitespace();
    if (this.text[this.#offset] === ']') {
      this.#offset++;
      return;
    }
    for (;;) {
      if (depth === 0) this.rootElementOffsets.push(this.#offset);
      this.#value(depth + 1);
      this.#whitespace();
      if (this.#take(']')) return;
      if (!this.#take(',')) this.#fail(`expected "," or "]" after an array element, found ${this.#found()}`);
      this.#whitespace();
    }
  }

  #object(depth: number): void {
    this.#offset++;
    this.#whitespace();
    if (this.#take('}')) return;
    for (;;) {
      if (this.text[this.#offset] !== '"') this.#fail(`expected a property name in double quotes, found ${this.#found()}`);
      this.#string();
      this.#whitespace();
      if (!this.#take(':')) this.#fail(`expected ":" after a property name, found ${this.#found()}`);
      this.#whitespace();
      this.#value(depth + 1);
      this.#whitespace();
      if (this.#take('}')) return;
      if (!this.#take(',')) this.#fail(`expected "," or "}" after a property, found ${this.#found()}`);
      this.#whitespace();
    }
  }

  #string(): void {
    this.#offset++;
    for (;;) {
      const char = this.text[this.#offset];
      if (char === undefined) this.#fail('unterminated string');
      if (char === '"') {
        this.#offset++;
        return;
      }
      if (char === '\\') {
        ESCAPE.lastIndex = this.#offset;
        if (!ESCAPE.test(this.text)) this.#fail('invalid escape sequence in a string');
        this.#offset = ESCAPE.lastIndex;
      } else if (char < ' ') {
        this.#fail('control character (such as a line break) inside a string; write it as \\n, \\t, …');
      } else {
        this.#offset++;
      }
    }
  }

  #whitespace(): void {
    while (/[ \t\n\r]/.test(this.text[this.#offset] ?? '')) this.#offset++;
  }

  #take(char: string): boolean {
    if (this.text[this.#offset] !== char) return false;
    this.#offset++;
    return true;
  }

  #found(): string {
    const char = this.text[this.#offset];
    return char === undefined ? 'the end of the file' : JSON.stringify(char);
  }

  #fail(reason: string): never {
    throw new JsonSyntaxError(this.#offset, reason);
  }
}

export function scanJson(text: string): JsonScan {
  const scanner = new Scanner(text);
  try {
    scanner.scan();
    return { syntaxError: undefined, rootElementOffsets: scanner.rootElementOffsets };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return { syntaxError: { offset: error.offset, reason: error.message }, rootElementOffsets: scanner.rootElementOffsets };
  }
}

/** The 1-based line of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset && index < text.length; index++) {
    if (text[index] === '\n') line++;
  }
  return line;
}
