/** How deep and how wide a JSON body may be: ours is `{"message": "…"}`, so these are generous. */
export const JSON_MAX_DEPTH = 16;
export const JSON_MAX_VALUES = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }
const COMMA = 0x2c;

/**
 * Why a JSON text is too deep or has too many values, or undefined when it is within bounds.
 * One pass over the characters, before JSON.parse builds anything, so a body of 100k keys or
 * 10k nested arrays costs a scan, not an object graph. Malformed JSON is left to JSON.parse.
 */
export function jsonShapeProblem(text: string): string | undefined {
  let depth = 0;
  let values = 1;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === BACKSLASH) index++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (OPEN.has(char)) {
      if (++depth > JSON_MAX_DEPTH) return `The JSON body is nested deeper than ${JSON_MAX_DEPTH} levels.`;
    } else if (CLOSE.has(char)) {
      depth--;
    } else if (char === COMMA && ++values > JSON_MAX_VALUES) {
      return `The JSON body has more than ${JSON_MAX_VALUES} fields or array elements.`;
    }
  }
  return undefined;
}
