import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Job durations: a rules reply takes microseconds, a remote model seconds. */
const PROCESSING_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Send → responded includes queueing, so it reaches further. */
const END_TO_END_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** A worker process's Prometheus metrics, in a registry of its own (tests build many workers). */
export class WorkerMetrics {
  readonly registry = new Registry();

  /** Attempts by outcome: `completed`, `retrying` (will be tried again) or `failed` (for good). */
  readonly jobs = new Counter({
    name: 'msgpipe_worker_jobs_total',
    help: 'Message jobs handled by this worker, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly processingSeconds = new Histogram({
    name: 'msgpipe_worker_job_processing_seconds',
    help: 'Time to handle one job attempt: respond and record.',
    labelNames: ['outcome'] as const,
    buckets: PROCESSING_BUCKETS,
    registers: [this.registry],
  });

  readonly endToEndSeconds = new Histogram({
    name: 'msgpipe_message_end_to_end_seconds',
    help: 'From the send time the API recorded to the response being in the history.',
    buckets: END_TO_END_BUCKETS,
    registers: [this.registry],
  });

  /** Cache lookups by `result` (`hit`, `miss`; a lookup Redis could not answer is a miss). */
  readonly responseCacheRequests = new Counter({
    name: 'msgpipe_response_cache_requests_total',
    help: 'Response cache lookups, by result: hit or miss.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** Calls to the responder itself (cache hits excluded), by `outcome`: ok, transient, permanent. */
  readonly responderCalls = new Counter({
    name: 'msgpipe_responder_calls_total',
    help: 'Responder calls, by responder and outcome: ok, transient (will be retried) or permanent.',
    labelNames: ['responder', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly responderCallSeconds = new Histogram({
    name: 'msgpipe_responder_call_seconds',
    help: 'Time of one responder call, by responder and outcome.',
    labelNames: ['responder', 'outcome'] as const,
    buckets: PROCESSING_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
