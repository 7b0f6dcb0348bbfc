import { expectError, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { JSON_MAX_DEPTH, JSON_MAX_VALUES } from './json-shape.js';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** MESSAGE_MAX_BYTES at its maximum, so bodies of a megabyte and more get past the size limit to the parser. */
let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ MESSAGE_MAX_BYTES: '1048576', RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => api.close());

function post(body: string | Buffer, contentType: string) {
  return request(api.baseUrl, '/v1/messages', { method: 'POST', headers: { 'content-type': contentType }, body });
}

/** The text a 202'd message was enqueued with. */
async function storedText(response: { status: number; json(): any }): Promise<string | undefined> {
  expect(response.status).toBe(202);
  const { id, ip } = response.json();
  return (await api.queues.find(ip, id))?.job.message;
}

describe('control characters', () => {
  it.each([
    ['NUL', '\u0000', 'U+0000'],
    ['BEL', '\u0007', 'U+0007'],
    ['ESC (terminal escape sequences)', '\u001b[31m', 'U+001B'],
    ['a lone carriage return', 'a\rb', 'U+000D'],
    ['DEL', '\u007f', 'U+007F'],
    ['C1 NEL', '\u0085', 'U+0085'],
  ])('refuses %s with 400 invalid_body naming the character', async (_, text, named) => {
    const message = expectError(await post(JSON.stringify({ message: `hello ${text}` }), JSON_TYPE), 400, 'invalid_body');
    expect(message).toContain(named);
  });

  it('refuses them in form bodies too', async () => {
    expectError(await post('message=hi%00there', FORM_TYPE), 400, 'invalid_body');
  });

  it('keeps tabs and newlines, and stores CRLF line ends (HTML forms, Windows) as newlines', async () => {
    expect(await storedText(await post(JSON.stringify({ message: 'a\tb\nc\r\nd' }), JSON_TYPE))).toBe('a\tb\nc\nd');
    expect(await storedText(await post('message=one%0D%0Atwo', FORM_TYPE))).toBe('one\ntwo');
  });
});

describe('text that is not UTF-8 or not Unicode', () => {
  it.each([
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a UTF-8-encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a Latin-1 byte', [0xe9]],
  ])('refuses %s with 400 invalid_body', async (_, bytes) => {
    const body = Buffer.concat([Buffer.from('{"message":"a'), Buffer.from(bytes), Buffer.from('"}')]);
    expectError(await post(body, JSON_TYPE), 400, 'invalid_body');
  });

  it('refuses a lone surrogate escape in JSON, and accepts a pair', async () => {
    expectError(await post('{"message":"a\\ud800b"}', JSON_TYPE), 400, 'invalid_body');
    expectError(await post('{"message":"a\\udc00"}', JSON_TYPE), 400, 'invalid_body');
    expect(await storedText(await post('{"message":"\\ud83d\\ude00"}', JSON_TYPE))).toBe('😀');
  });

  it('accepts a UTF-8 byte-order mark before the JSON', async () => {
    expect(await storedText(await post(Buffer.from('\ufeff{"message":"bom"}'), JSON_TYPE))).toBe('bom');
  });
});

describe('content types', () => {
  it.each([`${JSON_TYPE}; charset="UTF-8"`, 'Application/JSON', `${JSON_TYPE};charset=utf8`, `${FORM_TYPE}; charset=utf-8`])(
    'accepts %s',
    async (type) => {
      const body = type.toLowerCase().startsWith(FORM_TYPE) ? 'message=typed' : '{"message":"typed"}';
      expect(await storedText(await post(body, type))).toBe('typed');
    },
  );

  it.each(['application/jsonx', 'application/json-seq', 'multipart/form-data; boundary=x', 'text/json', `${JSON_TYPE}; charset=utf-16`, ''])(
    'refuses %j with 415',
    async (type) => {
      expectError(await post('{"message":"typed"}', type), 415, 'unsupported_media_type');
    },
  );
});

describe('JSON nesting and field count are bounded before parsing', () => {
  const nested = (depth: number) => `{"message":"hi","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
  const withFields = (count: number) =>
    `{"message":"hi"${Array.from({ length: count - 1 }, (_, index) => `,"k${index}":${index}`).join('')}}`;

  it('accepts a body at the bounds', async () => {
    expect((await post(nested(JSON_MAX_DEPTH), JSON_TYPE)).status).toBe(202);
    expect((await post(withFields(JSON_MAX_VALUES), JSON_TYPE)).status).toBe(202);
  });

  it.each([
    ['one level too deep', () => nested(JSON_MAX_DEPTH + 1), 'nested'],
    ['10,000 levels deep', () => nested(10_000), 'nested'],
    ['a million levels deep (2 MB)', () => nested(1_000_000), 'nested'],
    ['one field too many', () => withFields(JSON_MAX_VALUES + 1), 'fields'],
    ['100,000 fields', () => withFields(100_000), 'fields'],
    ['an array of 500,000 numbers', () => `{"message":"hi","x":[${'1,'.repeat(500_000)}1]}`, 'fields'],
  ])('refuses %s with 400 invalid_body', async (_, body, says) => {
    expect(expectError(await post(body(), JSON_TYPE), 400, 'invalid_body')).toContain(says);
  });

  it('is not fooled by brackets and commas inside strings', async () => {
    const text = `${'[{,'.repeat(200)}"\\"`;
    expect(await storedText(await post(JSON.stringify({ message: text }), JSON_TYPE))).toBe(text);
  });

  it('bounds form fields the same way', async () => {
    const fields = Array.from({ length: JSON_MAX_VALUES }, (_, index) => `k${index}=v`).join('&');
    expectError(await post(`message=hi&${fields}`, FORM_TYPE), 400, 'invalid_body');
    expect(await storedText(await post(`message=hi&${fields.split('&').slice(1).join('&')}`, FORM_TYPE))).toBe('hi');
  });
});
