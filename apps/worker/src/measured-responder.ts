import type { WorkerMetrics } from './metrics.js';
import { isPermanentFailure } from './responders/errors.js';
import type { Reply, Responder, ResponderContext, ResponderKind } from './responders/responder.js';

/** Counts and times every call of a responder by outcome: ok, transient or permanent. */
export class MeasuredResponder implements Responder {
  constructor(
    private readonly inner: Responder,
    private readonly kind: ResponderKind,
    private readonly metrics: WorkerMetrics,
  ) {}

  async respond(message: string, context: ResponderContext): Promise<Reply> {
    const stopTimer = this.metrics.responderCallSeconds.startTimer({ responder: this.kind });
    let outcome = 'ok';
    try {
      return await this.inner.respond(message, context);
    } catch (error) {
      outcome = isPermanentFailure(error) ? 'permanent' : 'transient';
      throw error;
    } finally {
      stopTimer({ outcome });
      this.metrics.responderCalls.inc({ responder: this.kind, outcome });
    }
  }
}
