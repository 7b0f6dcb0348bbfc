import { KeySchema } from '@msgpipe/shared';
import { Redis } from 'ioredis';
import { LatencySamples } from './latency.js';

/** Finished messages of one tagged phase, as the workers published them. */
export class PhaseCompletions {
  completed = 0;
  failed = 0;
  /** sendTime → respondedAt, ms: the end-to-end latency as the history records it. */
  readonly endToEnd = new LatencySamples();
}

const TAG = /#(\w+) /;

/** The message text of phase `tag`, number n: a greeting the rules responder answers. */
export const benchMessage = (tag: string) => (n: number) => `hello from the bench #${tag} ${n}`;

/**
 * Listens to every IP's completions channel (the record script publishes each history entry
 * it writes, once per message), and counts finished messages per phase tag. This is the same
 * event `/v1/stream` relays, so nothing is added to the pipeline's own path.
 */
export class CompletionWatcher {
  readonly #phases = new Map<string, PhaseCompletions>();

  private constructor(private readonly subscriber: Redis) {
    subscriber.on('pmessage', (_pattern: string, _channel: string, payload: string) => this.#onEntry(payload));
  }

  static async start(redisUrl: string, prefix: string): Promise<CompletionWatcher> {
    const subscriber = new Redis(redisUrl, { connectionName: 'msgpipe-bench-completions' });
    // Braces are literal in Redis patterns: this matches every IP's channel.
    await subscriber.psubscribe(new KeySchema(prefix).completions('*'));
    return new CompletionWatcher(subscriber);
  }

  track(tag: string): PhaseCompletions {
    const phase = new PhaseCompletions();
    this.#phases.set(tag, phase);
    return phase;
  }

  #onEntry(payload: string): void {
    const entry = JSON.parse(payload) as { message: string; sendTime: string; respondedAt: string; status: string };
    const phase = this.#phases.get(TAG.exec(entry.message)?.[1] ?? '');
    if (!phase) return;
    if (entry.status === 'completed') phase.completed++;
    else phase.failed++;
    phase.endToEnd.add(Date.parse(entry.respondedAt) - Date.parse(entry.sendTime));
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
