import { inject } from 'vitest';

export { postMessage, request, type RequestOptions, type TestResponse } from './http.js';
export { openEventStream, type EventStream, type ServerSentEvent } from './event-stream.js';
export { parsePrometheusText, samplesOf, type Sample } from './prometheus-text.js';
export { startOneNodeCluster } from './one-node-cluster.js';
export { startCluster, TestCluster, type ClusterAcl, type ClusterNode, type ClusterOptions } from './cluster.js';
export { waitFor, type WaitOptions } from './wait-for.js';
export { uniquePrefix } from './unique-prefix.js';
export { Timeouts } from './timeouts.js';
export { Contract } from './contract.js';
export { createTestCertificates, type CertificateOptions, type TestCertificates } from './self-signed-cert.js';
export { expectError, type ErrorResponse } from './expect-error.js';
export * from './processes.js';
// For packages that declare only the testkit: a Redis of a test's own, to stall, fill or kill.
export { RedisServer, spawnOwned, type RedisServerOptions } from '@msgpipe/redis-server';

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
