import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  BackupFormatError,
  isTrailer,
  parseBody,
  parseHeader,
  type BackupHeader,
  type BackupRecord,
  type BackupTrailer,
} from './format.js';

/** The lines of a file as raw bytes, without their "\n"; `complete` is false for a last line with no "\n". */
async function* lines(path: string): AsyncGenerator<{ bytes: Buffer; complete: boolean }> {
  let pending: Buffer[] = [];
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, newline));
      yield { bytes: Buffer.concat(pending), complete: true };
      pending = [];
      start = newline + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield { bytes: Buffer.concat(pending), complete: false };
}

export interface VerifiedBackup {
  header: BackupHeader;
  keys: number;
  bytes: number;
}

export interface VerifyCallbacks {
  /** Sees the header first: may throw to refuse the file before the rest is read. */
  onHeader?: (header: BackupHeader) => void;
  /** Sees each record as it is checked (more checks, progress). */
  onRecord?: (record: BackupRecord) => void;
}

/**
 * Reads the whole file once and checks it: header, every record, the trailer last with the
 * right count, and the SHA-256 of everything before the trailer. Throws BackupFormatError.
 * Nothing is written.
 */
export async function verifyBackupFile(path: string, { onHeader, onRecord }: VerifyCallbacks = {}): Promise<VerifiedBackup> {
  const hash = createHash('sha256');
  let header: BackupHeader | undefined;
  let trailer: BackupTrailer | undefined;
  let records = 0;
  let bytes = 0;
  let lineNumber = 0;
  for await (const { bytes: line, complete } of lines(path)) {
    lineNumber++;
    bytes += line.length + (complete ? 1 : 0);
    if (trailer) throw new BackupFormatError(`line ${lineNumber}: data after the trailer`);
    if (!complete) throw new BackupFormatError(`line ${lineNumber}: cut off (no end of line): the file is truncated`);
    const text = line.toString('utf8');
    if (header === undefined) {
      header = parseHeader(text);
      onHeader?.(header);
    } else {
      const entry = parseBody(text, lineNumber);
      if (isTrailer(entry)) {
        trailer = entry;
        continue;
      }
      records++;
      onRecord?.(entry);
    }
    hash.update(line).update('\n');
  }
  if (header === undefined) throw new BackupFormatError('the file is empty');
  if (trailer === undefined) throw new BackupFormatError(`no trailer after ${records} records: the file is truncated`);
  if (trailer.keys !== records) throw new BackupFormatError(`the trailer counts ${trailer.keys} keys, the file holds ${records}`);
  if (trailer.sha256 !== hash.digest('hex')) throw new BackupFormatError('checksum mismatch: the file is corrupted');
  return { header, keys: records, bytes };
}

/** The records of a file verifyBackupFile accepted, in file order. */
export async function* readRecords(path: string): AsyncGenerator<BackupRecord> {
  let lineNumber = 0;
  for await (const { bytes } of lines(path)) {
    lineNumber++;
    if (lineNumber === 1) continue;
    const entry = parseBody(bytes.toString('utf8'), lineNumber);
    if (isTrailer(entry)) return;
    yield entry;
  }
}
