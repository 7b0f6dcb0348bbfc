import { carriedMessages, type MessageJobData } from '@msgpipe/shared';
import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import type { InFlightMessages } from './in-flight.js';

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
 *
 * While a job runs, its messages count in `inFlight` (the ops page's in-flight column).
 */
export class MessageJobWorker extends Worker<MessageJobData, void> {
  readonly #onAbandoned: (job: Job<MessageJobData, void>) => Promise<void>;
  readonly #inFlight: InFlightMessages;

  constructor(
    name: string,
    processor: Processor<MessageJobData, void>,
    options: WorkerOptions,
    onAbandoned: (job: Job<MessageJobData, void>) => Promise<void>,
    inFlight: InFlightMessages,
  ) {
    super(name, processor, options);
    this.#onAbandoned = onAbandoned;
    this.#inFlight = inFlight;
  }

  override processJob(job: Job<MessageJobData, void>, token: string, fetchNextCallback?: () => boolean): Promise<void | Job<MessageJobData, void>> {
    return this.#inFlight.during(carriedMessages(job.data).length, () => this.#process(job, token, fetchNextCallback));
  }

  async #process(job: Job<MessageJobData, void>, token: string, fetchNextCallback?: () => boolean): Promise<void | Job<MessageJobData, void>> {
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
