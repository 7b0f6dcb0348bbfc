import { RedisServer } from '@msgpipe/redis-server';
import type { TestProject } from 'vitest/node';
import './index.js';

/** Vitest global setup: one throwaway redis-server for the whole run of a package's tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await RedisServer.start();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
