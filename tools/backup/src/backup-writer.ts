import { createHash } from 'node:crypto';
import { constants, type WriteStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { headerLine, recordLine, trailerLine, type BackupHeader, type BackupRecord } from './format.js';

/**
 * O_EXCL: never open a file someone else put at the path, and with O_CREAT that covers a
 * symlink too (dangling or not), so a backup run in a shared directory cannot be redirected to
 * overwrite another file. O_NOFOLLOW says the same once more, for a reader of this line.
 */
const CREATE_EXCLUSIVELY = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** The backup holds every history: for its owner's eyes only, whatever the umask. */
const OWNER_ONLY = 0o600;

/** FILE.partial is there already: another backup writing it, or one that was killed. */
export class PartialFileExistsError extends Error {
  constructor(partial: string, options: { cause: unknown }) {
    super(`${partial} exists: another backup is writing it, or one was stopped half-way; remove it (and nothing else) and try again`, options);
    this.name = 'PartialFileExistsError';
  }
}

/**
 * Streams a backup file: records go to disk as they come (waiting when the disk is slower
 * than Redis), hashed on the way. The file is created as `FILE.partial`, mode 0600 and
 * exclusively (see CREATE_EXCLUSIVELY), and renamed to FILE only once complete and flushed to
 * disk, so FILE is never a half-written backup. The rename replaces whatever is at FILE (a
 * symlink included, without following it), as `cp` or `pg_dump -f` would.
 */
export class BackupWriter {
  readonly #hash = createHash('sha256');
  readonly #stream: WriteStream;
  readonly #partial: string;
  #records = 0;
  #bytes = 0;

  private constructor(
    readonly path: string,
    partial: string,
    handle: FileHandle,
  ) {
    this.#partial = partial;
    // flush: fsync before the stream closes the handle, so the sync is of this very file, not of whatever the path names then.
    this.#stream = handle.createWriteStream({ flush: true });
  }

  static async create(path: string, header: Omit<BackupHeader, 'format' | 'version'>): Promise<BackupWriter> {
    const partial = `${path}.partial`;
    let handle: FileHandle;
    try {
      handle = await open(partial, CREATE_EXCLUSIVELY, OWNER_ONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new PartialFileExistsError(partial, { cause: error });
      throw error;
    }
    const writer = new BackupWriter(path, partial, handle);
    try {
      await writer.#write(headerLine(header));
    } catch (error) {
      await writer.abort();
      throw error;
    }
    return writer;
  }

  get records(): number {
    return this.#records;
  }

  get bytes(): number {
    return this.#bytes;
  }

  async write(record: BackupRecord): Promise<void> {
    this.#records++;
    await this.#write(recordLine(record));
  }

  /** Writes the trailer, syncs and renames into place. */
  async finish(): Promise<void> {
    const trailer = trailerLine(this.#records, this.#hash.digest('hex'));
    this.#stream.end(trailer);
    this.#bytes += Buffer.byteLength(trailer);
    await once(this.#stream, 'close');
    await rename(this.#partial, this.path);
  }

  /** Removes the partial file (after a failure). */
  async abort(): Promise<void> {
    this.#stream.destroy();
    await rm(this.#partial, { force: true });
  }

  async #write(line: string): Promise<void> {
    const bytes = Buffer.from(line);
    this.#hash.update(bytes);
    this.#bytes += bytes.length;
    if (!this.#stream.write(bytes)) await once(this.#stream, 'drain');
  }
}
