import type { HonoRequest } from 'hono';
import { AppError } from '../http/errors.js';
import { JSON_MAX_VALUES, jsonShapeProblem } from './json-shape.js';
import { acceptedMessageText } from './message-text.js';
import { MessageBodySchema } from '../openapi/schemas.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * How large a request body may be before we stop reading it: the longest message, escaped
 * the most expensive way (JSON `\u0001` is six bytes for one), plus room for the envelope.
 */
export function bodyLimitFor(messageMaxBytes: number): number {
  return messageMaxBytes * 6 + 1024;
}

function mediaType(header: string | undefined): { type: string; charset: string | undefined } {
  const [type = '', ...parameters] = (header ?? '').split(';');
  const charset = parameters
    .map((parameter) => parameter.trim().split('='))
    .find(([name]) => name?.toLowerCase() === 'charset')?.[1]
    ?.replace(/^"|"$/g, '');
  return { type: type.trim().toLowerCase(), charset: charset?.toLowerCase() };
}

const tooLarge = (messageMaxBytes: number) =>
  new AppError('message_too_large', `The message is longer than ${messageMaxBytes} bytes.`);

const incomplete = () => new AppError('invalid_body', 'The body ended before it was complete.');

/**
 * The body, read chunk by chunk and given up as soon as it passes the limit: a declared
 * Content-Length over it is refused before a byte is read, a chunked body once it gets there.
 * (The server drains or drops the rest of the connection after the answer.) A client that
 * stops sending half-way (aborted, or cut off by the request timeout) gets a 400, not a 500.
 */
async function readBody(req: HonoRequest, messageMaxBytes: number): Promise<Uint8Array> {
  const limit = bodyLimitFor(messageMaxBytes);
  const declared = req.header('content-length');
  if (Number(declared ?? 0) > limit) throw tooLarge(messageMaxBytes);
  if (declared !== undefined && req.header('transfer-encoding') === undefined) {
    // Node's parser never delivers more than the declared length, so the limit holds, and
    // arrayBuffer() reads the socket directly: req.raw.body would first build a web Request
    // and ReadableStream, about a sixth of the API's CPU per message (npm run bench).
    const bytes = await req.arrayBuffer().catch((): never => {
      throw incomplete();
    });
    return new Uint8Array(bytes);
  }
  const body = req.raw.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await reader.read().catch((): never => {
      throw incomplete();
    });
    if (chunk.done) return Buffer.concat(chunks);
    size += chunk.value.byteLength;
    if (size > limit) throw tooLarge(messageMaxBytes);
    chunks.push(chunk.value);
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AppError('invalid_body', 'The body is not valid UTF-8.');
  }
}

function fromJson(text: string): unknown {
  const shapeProblem = jsonShapeProblem(text);
  if (shapeProblem) throw new AppError('invalid_body', shapeProblem);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'The body is not valid JSON.');
  }
  return body;
}

/** Strict form decoding: a malformed or non-UTF-8 percent escape is an error, not U+FFFD. */
function fromForm(text: string): { message?: string } {
  const pairs = text.split('&');
  if (pairs.length > JSON_MAX_VALUES) throw new AppError('invalid_body', `The form body has more than ${JSON_MAX_VALUES} fields.`);
  const values: string[] = [];
  for (const pair of pairs) {
    const [name = '', value = ''] = pair.split(/=(.*)/s);
    try {
      if (decodeURIComponent(name.replaceAll('+', ' ')) === 'message') {
        values.push(decodeURIComponent(value.replaceAll('+', ' ')));
      }
    } catch {
      throw new AppError('invalid_body', 'The form body has a malformed or non-UTF-8 percent escape.');
    }
  }
  if (values.length > 1) throw new AppError('invalid_body', 'The form body has more than one "message" field.');
  return values.length === 1 ? { message: values[0] } : {};
}

/** Reads and validates the message of a POST /v1/messages body (JSON or form). */
export async function readMessage(req: HonoRequest, messageMaxBytes: number): Promise<string> {
  const { type, charset } = mediaType(req.header('content-type'));
  const isJson = type === 'application/json';
  if (!isJson && type !== 'application/x-www-form-urlencoded') {
    throw new AppError('unsupported_media_type', 'Send application/json or application/x-www-form-urlencoded.');
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError('unsupported_media_type', 'Only UTF-8 bodies are accepted.');
  }
  const text = decodeUtf8(await readBody(req, messageMaxBytes));
  // The schema the document describes the body with (JSON and form alike) checks what was read.
  const body = MessageBodySchema.safeParse(isJson ? fromJson(text) : fromForm(text));
  if (!body.success) throw new AppError('invalid_body', body.error.issues[0]?.message ?? 'The body is not {"message": "…"}.');
  const message = acceptedMessageText(body.data.message);
  if (message.trim() === '') throw new AppError('empty_message', 'The message is empty.');
  if (Buffer.byteLength(message, 'utf8') > messageMaxBytes) throw tooLarge(messageMaxBytes);
  return message;
}
