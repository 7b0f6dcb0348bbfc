import { randomBytes } from 'node:crypto';

/** A REDIS_PREFIX of its own, so test files sharing one Redis never see each other's keys. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}
