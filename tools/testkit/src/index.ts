import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export { postMessage, request, type RequestOptions, type TestResponse } from './http.js';
export { openEventStream, type EventStream, type ServerSentEvent } from './event-stream.js';
export { parsePrometheusText, samplesOf, type Sample } from './prometheus-text.js';
export { startOneNodeCluster } from './one-node-cluster.js';
export { startCluster, TestCluster, type ClusterAcl, type ClusterNode, type ClusterOptions } from './cluster.js';
export { waitFor, type WaitOptions } from './wait-for.js';
export { createTestCertificates, type CertificateOptions, type TestCertificates } from './self-signed-cert.js';
// For packages that declare only the testkit: a Redis of a test's own, to stall, fill or kill.
export { RedisServer, type RedisServerOptions } from '@msgpipe/redis-server';

/** A REDIS_PREFIX of its own, so test files sharing one Redis never see each other's keys. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The URL of the package's throwaway redis-server (see redis-global-setup). */
    redisUrl: string;
  }
}

/** The package's throwaway Redis, started by redis-global-setup. */
export function testRedisUrl(): string {
  return inject('redisUrl');
}
