/**
 * The backup file: UTF-8 text, one JSON object per line ("\n"), in this order:
 *
 *   header   {"format":"msgpipe-backup","version":1,"prefix":"msgpipe","createdAt":"…Z","redisVersion":"7.0.15","cluster":false}
 *   record   {"key":"<base64>","expireAt":1764000000000,"dump":"<base64>"}      one per key
 *   trailer  {"end":true,"keys":<records>,"sha256":"<hex>"}                     last line
 *
 * `key` and `dump` are base64 because both are arbitrary bytes (`dump` is Redis's DUMP
 * payload). `expireAt` is when the key expires, in ms since the epoch by the backup machine's
 * clock, or null for a key without TTL: an absolute time, so a restore keeps each key's
 * original expiry however long after the backup it runs. `sha256` is the hex SHA-256 of every
 * byte before the trailer line, so a flipped byte or a cut-off file is detected before a
 * restore writes anything.
 */
export const FORMAT_NAME = 'msgpipe-backup';
export const FORMAT_VERSION = 1;

export interface BackupHeader {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  prefix: string;
  createdAt: string;
  redisVersion: string;
  cluster: boolean;
}

export interface BackupRecord {
  key: Buffer;
  /** ms since the epoch; null: the key has no TTL. */
  expireAt: number | null;
  dump: Buffer;
}

export interface BackupTrailer {
  end: true;
  keys: number;
  sha256: string;
}

/** The file is not a whole, intact backup: nothing may be restored from it. */
export class BackupFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFormatError';
  }
}

export function headerLine(header: Omit<BackupHeader, 'format' | 'version'>): string {
  return `${JSON.stringify({ format: FORMAT_NAME, version: FORMAT_VERSION, ...header })}\n`;
}

export function recordLine(record: BackupRecord): string {
  return `${JSON.stringify({ key: record.key.toString('base64'), expireAt: record.expireAt, dump: record.dump.toString('base64') })}\n`;
}

export function trailerLine(keys: number, sha256: string): string {
  return `${JSON.stringify({ end: true, keys, sha256 })}\n`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseObject(line: string, lineNumber: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new BackupFormatError(`line ${lineNumber}: not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BackupFormatError(`line ${lineNumber}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function parseHeader(line: string): BackupHeader {
  const value = parseObject(line, 1);
  if (value.format !== FORMAT_NAME) throw new BackupFormatError(`line 1: not a ${FORMAT_NAME} file`);
  if (value.version !== FORMAT_VERSION) {
    throw new BackupFormatError(`line 1: format version ${JSON.stringify(value.version)}, this tool reads version ${FORMAT_VERSION}`);
  }
  const { prefix, createdAt, redisVersion, cluster } = value;
  if (typeof prefix !== 'string' || prefix === '') throw new BackupFormatError('line 1: no prefix');
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) throw new BackupFormatError('line 1: no valid createdAt');
  if (typeof redisVersion !== 'string') throw new BackupFormatError('line 1: no redisVersion');
  if (typeof cluster !== 'boolean') throw new BackupFormatError('line 1: no cluster flag');
  return { format: FORMAT_NAME, version: FORMAT_VERSION, prefix, createdAt, redisVersion, cluster };
}

/** A record, or the trailer (which has `end: true`). */
export function parseBody(line: string, lineNumber: number): BackupRecord | BackupTrailer {
  const value = parseObject(line, lineNumber);
  if (value.end === true) {
    if (!Number.isSafeInteger(value.keys) || (value.keys as number) < 0) throw new BackupFormatError(`line ${lineNumber}: trailer without a key count`);
    if (typeof value.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.sha256)) throw new BackupFormatError(`line ${lineNumber}: trailer without a sha256`);
    return { end: true, keys: value.keys as number, sha256: value.sha256 };
  }
  const { key, expireAt, dump } = value;
  if (typeof key !== 'string' || key === '' || !BASE64.test(key)) throw new BackupFormatError(`line ${lineNumber}: bad key`);
  if (typeof dump !== 'string' || dump === '' || !BASE64.test(dump)) throw new BackupFormatError(`line ${lineNumber}: bad dump`);
  if (expireAt !== null && (!Number.isSafeInteger(expireAt) || (expireAt as number) <= 0)) {
    throw new BackupFormatError(`line ${lineNumber}: bad expireAt`);
  }
  return { key: Buffer.from(key, 'base64'), expireAt: expireAt as number | null, dump: Buffer.from(dump, 'base64') };
}

export function isTrailer(entry: BackupRecord | BackupTrailer): entry is BackupTrailer {
  return 'end' in entry;
}
