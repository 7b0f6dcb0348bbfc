import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageQueues } from '../queues/message-queues.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface ApiMetricsDeps {
  queues: MessageQueues;
  /** Runs Redis work with the request deadline, so a scrape never hangs on a stalled Redis. */
  redisWork<T>(work: () => Promise<T>): Promise<T>;
  /** The clock queue latency is measured against; Date.now by default. */
  now?: () => number;
}

/**
 * The API process's Prometheus metrics, in a registry of its own. Queue depth is read from
 * Redis at scrape time; the job and end-to-end timings are the workers' (WORKER_METRICS_PORT).
 */
export class ApiMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'msgpipe_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpSeconds = new Histogram({
    name: 'msgpipe_http_request_duration_seconds',
    help: 'Time from request to response, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly messagesAccepted = new Counter({
    name: 'msgpipe_messages_accepted_total',
    help: 'Messages accepted and enqueued (202; an Idempotency-Key repeat enqueues nothing and is not counted).',
    registers: [this.registry],
  });

  readonly messagesRejected = new Counter({
    name: 'msgpipe_messages_rejected_total',
    help: 'POST /v1/messages refused, by error code (rate_limited, message_too_large, unavailable, …).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly messagesPerJob = new Histogram({
    name: 'msgpipe_enqueue_messages_per_job',
    help: 'Messages in each job enqueued: 1 while the API is idle, more under load (group commit, ENQUEUE_BATCH_MAX).',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });

  constructor({ queues, redisWork, now = Date.now }: ApiMetricsDeps) {
    collectDefaultMetrics({ register: this.registry });
    queues.onJobAdded((messages) => this.messagesPerJob.observe(messages));
    new Gauge({
      name: 'msgpipe_enqueues_in_flight',
      help: 'Messages of this API process on their way into a queue (admitted or added) that later arrivals batch behind.',
      registers: [this.registry],
      collect() {
        this.set(queues.enqueuesInFlight);
      },
    });
    new Gauge({
      name: 'msgpipe_enqueue_batch_waiting_messages',
      help: 'Messages of this API process holding a place in a batch that has not gone yet (group commit).',
      registers: [this.registry],
      collect() {
        this.set(queues.messagesWaitingForBatch);
      },
    });
    // One queue read per scrape, shared by both gauges: prom-client collects metrics
    // concurrently, so msgpipe_redis_up must wait for the read it reports on, not show the last.
    let reading: Promise<Awaited<ReturnType<MessageQueues['counts']>> | undefined> | undefined;
    const readQueues = () =>
      (reading ??= redisWork(() => queues.counts())
        .catch(() => undefined) // Redis is down or stalled: keep the last depths, say so.
        .finally(() => (reading = undefined)));
    new Gauge({
      name: 'msgpipe_redis_up',
      help: '1 when the last scrape could read the queues from Redis, else 0.',
      registers: [this.registry],
      async collect() {
        this.set((await readQueues()) === undefined ? 0 : 1);
      },
    });
    new Gauge({
      name: 'msgpipe_queue_jobs',
      help: 'Jobs in each queue partition by state, read at scrape time.',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const read = await readQueues();
        for (const { queue, counts } of read?.byQueue ?? []) {
          for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
        }
      },
    });
    new Gauge({
      name: 'msgpipe_queue_oldest_waiting_seconds',
      help: 'Queue latency: how long the oldest message not yet taken by a worker has waited, per partition (0 when none waits), read at scrape time.',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        // Three O(1) commands and one job read per partition. On a Redis outage the last ages stay,
        // as the depths do; msgpipe_redis_up says so.
        const waiting = await redisWork(() => queues.waiting(now())).catch(() => []);
        for (const { queue, oldestWaitingSeconds } of waiting) this.set({ queue }, oldestWaitingSeconds);
      },
    });
  }
}
