/** The messages this process's jobs hold right now, over every partition it consumes. */
export class InFlightMessages {
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Counts `messages` in flight while `work` runs. */
  async during<T>(messages: number, work: () => Promise<T>): Promise<T> {
    this.#count += messages;
    try {
      return await work();
    } finally {
      this.#count -= messages;
    }
  }
}
