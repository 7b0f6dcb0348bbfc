/**
 * A one-line progress bar redrawn in place on a terminal (and silent anywhere else, so logs
 * and pipes get only the summary). Redrawn at most ten times a second.
 */
export class ProgressBar {
  #lastDrawn = 0;
  #shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  /** `total` 0: not known yet, so no bar, only the detail. */
  update(done: number, total: number, detail: string): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.#lastDrawn < 100 && (total <= 0 || done < total)) return;
    this.#lastDrawn = now;
    if (total <= 0) {
      this.stream.write(`\r${this.label} ${detail}\x1b[K`);
      this.#shown = true;
      return;
    }
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * 30);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(30 - filled)}`;
    this.stream.write(`\r${this.label} [${bar}] ${Math.floor(fraction * 100)}% ${detail}\x1b[K`);
    this.#shown = true;
  }

  /** Clears the line so the summary starts on a clean one. */
  clear(): void {
    if (this.#shown) this.stream.write('\r\x1b[K');
    this.#shown = false;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
