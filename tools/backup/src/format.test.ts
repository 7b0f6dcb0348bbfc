import { describe, expect, it } from 'vitest';
import { BackupFormatError, headerLine, parseBody, parseHeader, recordLine, trailerLine } from './format.js';
import { prefixPattern } from './scan-keys.js';

describe('the backup file format', () => {
  it('round-trips a header, a record with binary key and value, and the trailer', () => {
    const header = { prefix: 'msgpipe', createdAt: '2026-11-21T10:00:00.000Z', redisVersion: '7.0.15', cluster: true };
    expect(parseHeader(headerLine(header).trimEnd())).toEqual({ format: 'msgpipe-backup', version: 1, ...header });
    const record = { key: Buffer.from([0x6d, 0x3a, 0xff, 0x00, 0x0a]), expireAt: 1_795_000_000_000, dump: Buffer.from([0, 1, 2, 255]) };
    const line = recordLine(record);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(parseBody(line.trimEnd(), 2)).toEqual(record);
    expect(parseBody(recordLine({ ...record, expireAt: null }).trimEnd(), 2)).toMatchObject({ expireAt: null });
    expect(parseBody(trailerLine(1, 'a'.repeat(64)).trimEnd(), 3)).toEqual({ end: true, keys: 1, sha256: 'a'.repeat(64) });
  });

  it.each([
    ['another format', '{"format":"redis-dump","version":1}', /not a msgpipe-backup file/],
    ['a newer version', '{"format":"msgpipe-backup","version":2}', /format version 2, this tool reads version 1/],
    ['no prefix', '{"format":"msgpipe-backup","version":1,"createdAt":"2026-11-21T10:00:00.000Z","redisVersion":"7","cluster":false}', /no prefix/],
  ])('refuses a header of %s', (_, line, reason) => {
    expect(() => parseHeader(line)).toThrow(BackupFormatError);
    expect(() => parseHeader(line)).toThrow(reason);
  });

  it.each([
    ['not JSON', '{"key":', /line 7: not JSON/],
    ['a key that is not base64', '{"key":"a b","expireAt":null,"dump":"AAAA"}', /line 7: bad key/],
    ['an empty dump', '{"key":"AAAA","expireAt":null,"dump":""}', /line 7: bad dump/],
    ['a negative expiry', '{"key":"AAAA","expireAt":-1,"dump":"AAAA"}', /line 7: bad expireAt/],
    ['a trailer without checksum', '{"end":true,"keys":3}', /line 7: trailer without a sha256/],
  ])('refuses a line with %s', (_, line, reason) => {
    expect(() => parseBody(line, 7)).toThrow(reason);
  });
});

it('matches exactly the keys under the prefix, glob characters escaped', () => {
  expect(prefixPattern('msgpipe')).toBe('msgpipe:*');
  expect(prefixPattern('a*b?[c]')).toBe('a\\*b\\?\\[c\\]:*');
});
