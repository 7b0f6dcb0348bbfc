import { randomBytes } from 'node:crypto';
import { batchMessageId, type MessageJob } from '@msgpipe/shared';
import { newMessageId } from './message-id.js';

/** A place for one message: in a batch, or alone. Settle it once: commit or release. */
export interface Reservation {
  /** The message's id: its batch's id and its place in it, or an id of its own when it goes alone. */
  readonly id: string;
  /** Adds the admitted message (with this id) and resolves once it is in Redis. */
  commit(job: MessageJob): Promise<void>;
  /** Gives the place up (refused, a repeat, its request gave up); no-op once its batch is sent. */
  release(): void;
}

/** Where batches go: a partition's queue. */
export interface BatchSender {
  /** One message as a job of its own (format 1), its id as job id. */
  sendOne(job: MessageJob): Promise<void>;
  /** Several messages as one job (format 2), `batchId` as job id. */
  sendBatch(batchId: string, jobs: MessageJob[]): Promise<void>;
}

export interface GroupCommitLimits {
  /** ENQUEUE_BATCH_MAX: messages per job; 1 sends every message alone. */
  maxMessages: number;
  /** ENQUEUE_BATCH_MAX_BYTES: message text per job (a lone larger message still goes). */
  maxBytes: number;
  /** Enqueues at once before arrivals wait to go together. */
  maxInFlight: number;
}

interface Member {
  job: MessageJob;
  resolve(): void;
  reject(error: unknown): void;
}

/** Batch ids: 15 random bytes, 20 base64url characters (see batchMessageId). */
const newBatchId = () => randomBytes(15).toString('base64url');

class Batch {
  readonly id = newBatchId();
  places = 0;
  bytes = 0;
  /** Places reserved but neither committed nor released: the batch waits for them. */
  unsettled = 0;
  /** Takes no more places: it goes as soon as those it has are settled. */
  closed = false;
  sent = false;
  readonly members = new Map<number, Member>();
}

/**
 * Group commit for one queue partition, as databases commit: a message that arrives while
 * fewer than `maxInFlight` messages are on their way (being admitted, or added) goes at once,
 * alone, so an idle system answers as fast as ever. Messages arriving meanwhile take places in
 * the next batch, which goes as one job when an enqueue finishes and every place in it is
 * settled (its messages admitted or refused), up to `maxMessages` messages and `maxBytes` of
 * text.
 */
export class PartitionGroupCommit {
  #inFlight = 0;
  /** Batches in the order they go: the last one may still take places. */
  readonly #batches: Batch[] = [];

  constructor(
    private readonly sender: BatchSender,
    private readonly limits: GroupCommitLimits,
  ) {}

  /** Enqueues under way on this partition. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Messages holding a place in a batch not sent yet: being admitted, or admitted and waiting. */
  get waiting(): number {
    return this.#batches.reduce((sum, batch) => sum + batch.unsettled + batch.members.size, 0);
  }

  reserve(bytes: number): Reservation {
    if (this.limits.maxMessages === 1 || (this.#inFlight < this.limits.maxInFlight && this.#batches.length === 0)) return this.#alone();
    const batch = this.#openBatch(bytes);
    const index = batch.places++;
    batch.bytes += bytes;
    batch.unsettled++;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      batch.unsettled--;
      return true;
    };
    return {
      id: batchMessageId(batch.id, index),
      commit: (job) =>
        new Promise<void>((resolve, reject) => {
          if (!settle()) return reject(new Error(`place ${index} of batch ${batch.id} was settled already`));
          batch.members.set(index, { job, resolve, reject });
          this.#pump();
        }),
      // A committed message released before its batch went is left out of it; its commit
      // promise then never settles, which its caller, having given up, no longer awaits.
      release: () => {
        if (settle() || !batch.sent) batch.members.delete(index);
        this.#pump();
      },
    };
  }

  /**
   * A place of its own, in flight from now: messages arriving while this one is admitted and
   * added take places in the next batch.
   */
  #alone(): Reservation {
    this.#inFlight++;
    let settled = false;
    const done = () => {
      this.#inFlight--;
      this.#pump();
    };
    return {
      id: newMessageId(),
      commit: async (job) => {
        if (settled) throw new Error('this place was settled already');
        settled = true;
        try {
          await this.sender.sendOne(job);
        } finally {
          done();
        }
      },
      release: () => {
        if (settled) return;
        settled = true;
        done();
      },
    };
  }

  /** The batch still taking places, or a new one when it is full. */
  #openBatch(bytes: number): Batch {
    const last = this.#batches.at(-1);
    const fits = last && !last.closed && last.places < this.limits.maxMessages && (last.places === 0 || last.bytes + bytes <= this.limits.maxBytes);
    if (last && fits) return last;
    const batch = new Batch();
    this.#batches.push(batch);
    return batch;
  }

  /** Sends the first batch once an enqueue slot is free and its places are settled. */
  #pump(): void {
    for (;;) {
      const batch = this.#batches[0];
      if (!batch || this.#inFlight >= this.limits.maxInFlight) return;
      // Its turn: it waits only for the messages it has, so a steady stream cannot hold it back.
      batch.closed = true;
      if (batch.unsettled > 0) return;
      this.#batches.shift();
      batch.sent = true;
      const members = [...batch.members.values()];
      if (members.length === 0) continue;
      const jobs = members.map((member) => member.job);
      const sent = this.#send(() => (jobs.length === 1 ? this.sender.sendOne(jobs[0]!) : this.sender.sendBatch(batch.id, jobs)));
      sent.then(
        () => members.forEach((member) => member.resolve()),
        (error: unknown) => members.forEach((member) => member.reject(error)),
      );
    }
  }

  async #send(work: () => Promise<void>): Promise<void> {
    this.#inFlight++;
    try {
      await work();
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}
