import type { MessageJobData } from '@msgpipe/shared';
import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';

/**
 * BullMQ's Worker, ending visibly the messages of a job BullMQ fails by itself.
 *
 * A job that stalled more than `maxStalledCount` times (a poison message that kills its worker
 * each time) is put back to wait marked with a deferred failure, and the next worker to take
 * it fails it without running the processor: no history entry, nothing for `?wait` or the
 * stream, and `GET /v1/messages/{id}` would not know the message. Here `onAbandoned` records
 * its messages failed first, then BullMQ fails the job. A worker that dies in between, or a
 * record that fails, leaves the job locked and untouched: it stalls once more and the next
 * worker to take it tries again (the record is idempotent).
 */
export class MessageJobWorker extends Worker<MessageJobData, void> {
  readonly #onAbandoned: (job: Job<MessageJobData, void>) => Promise<void>;

  constructor(name: string, processor: Processor<MessageJobData, void>, options: WorkerOptions, onAbandoned: (job: Job<MessageJobData, void>) => Promise<void>) {
    super(name, processor, options);
    this.#onAbandoned = onAbandoned;
  }

  override async processJob(job: Job<MessageJobData, void>, token: string, fetchNextCallback?: () => boolean): Promise<void | Job<MessageJobData, void>> {
    if (job.deferredFailure) {
      try {
        await this.#onAbandoned(job);
      } catch (error) {
        // Not thrown on: BullMQ's main loop would stop on it. The job's lock expires instead.
        this.emit('error', error as Error);
        return undefined;
      }
    }
    return super.processJob(job, token, fetchNextCallback);
  }
}
