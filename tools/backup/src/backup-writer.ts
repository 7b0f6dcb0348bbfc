import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { headerLine, recordLine, trailerLine, type BackupHeader, type BackupRecord } from './format.js';

/**
 * Streams a backup file: records go to disk as they come (waiting when the disk is slower
 * than Redis), hashed on the way. The file is written as `FILE.partial` and renamed to FILE
 * only once complete and flushed to disk, so FILE is never a half-written backup.
 */
export class BackupWriter {
  readonly #hash = createHash('sha256');
  readonly #stream: WriteStream;
  readonly #partial: string;
  #records = 0;
  #bytes = 0;

  private constructor(readonly path: string) {
    this.#partial = `${path}.partial`;
    this.#stream = createWriteStream(this.#partial);
  }

  static async create(path: string, header: Omit<BackupHeader, 'format' | 'version'>): Promise<BackupWriter> {
    const writer = new BackupWriter(path);
    await once(writer.#stream, 'open');
    await writer.#write(headerLine(header));
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
    const handle = await open(this.#partial, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
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
