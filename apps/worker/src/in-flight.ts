import { isBatchJob, type MessageJobData } from '@msgpipe/shared';

/** The messages a job carries: a batch's messages, else one (also for data a worker will refuse). */
export function messagesOf(data: MessageJobData): number {
  return isBatchJob(data) && Array.isArray(data.messages) ? data.messages.length : 1;
}

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
