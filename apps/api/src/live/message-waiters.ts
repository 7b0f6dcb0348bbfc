import type { CompletionStream } from './completion-stream.js';

export type Outcome = 'completed' | 'failed';

export interface Waiting {
  /** Settles once the SUBSCRIBE is confirmed: enqueue only after, or an instant answer is missed. */
  subscribed: Promise<void>;
  /** How the message ended, or undefined when `ms` passed (or it was cancelled) first. */
  outcome: Promise<Outcome | undefined>;
  cancel(): void;
}

/**
 * `POST /v1/messages?wait=MS`, through the completions channel the worker's record script
 * publishes each finished message on. Subscribed only while a request waits on that IP (the
 * refcount in CompletionStream shares the channel), so an API process that nobody waits on
 * reads nothing, rather than every event of every job as a queue-events stream reader would.
 */
export class MessageWaiters {
  constructor(private readonly completions: CompletionStream) {}

  /** Every end, `cancel` included, unsubscribes: call it when the enqueue fails. */
  expect(ip: string, id: string, ms: number): Waiting {
    let ended = false;
    let settle!: (outcome: Outcome | undefined) => void;
    const outcome = new Promise<Outcome | undefined>((resolve) => (settle = resolve));
    const subscription = this.completions.subscribe(ip, (entry) => {
      if (entry.id === id) end(entry.status);
    });
    const timer = setTimeout(() => end(undefined), ms);
    const end = (value: Outcome | undefined) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      settle(value);
      // A SUBSCRIBE still in flight is undone once it lands; a failed one left nothing behind.
      void subscription.then((unsubscribe) => unsubscribe(), () => {});
    };
    const subscribed = subscription.then(
      () => {},
      (error: unknown) => {
        end(undefined);
        throw error;
      },
    );
    return { subscribed, outcome, cancel: () => end(undefined) };
  }
}
