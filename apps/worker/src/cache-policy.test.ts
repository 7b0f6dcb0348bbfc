import { describe, expect, it } from 'vitest';
import { cachePolicyOf } from './cache-policy.js';

const MAX = 60;

describe('cachePolicyOf', () => {
  it.each([
    [null, { scope: 'sender', ttlSeconds: 60 }],
    ['', { scope: 'sender', ttlSeconds: 60 }],
    ['max-age=30', { scope: 'sender', ttlSeconds: 30 }],
    ['private', { scope: 'sender', ttlSeconds: 60 }],
    ['private, max-age=10', { scope: 'sender', ttlSeconds: 10 }],
    ['Private, Max-Age=10', { scope: 'sender', ttlSeconds: 10 }],
    ['private, s-maxage=10, public', { scope: 'sender', ttlSeconds: 60 }],
    ['public', { scope: 'shared', ttlSeconds: 60 }],
    ['public, max-age=30', { scope: 'shared', ttlSeconds: 30 }],
    ['public, max-age="30"', { scope: 'shared', ttlSeconds: 30 }],
    ['public, max-age=3600', { scope: 'shared', ttlSeconds: 60 }],
    ['s-maxage=20', { scope: 'shared', ttlSeconds: 20 }],
    ['public, max-age=30, s-maxage=5', { scope: 'shared', ttlSeconds: 5 }],
    ['no-store', { scope: 'none' }],
    ['public, no-store, max-age=30', { scope: 'none' }],
    ['no-cache', { scope: 'none' }],
    ['no-cache="set-cookie", public', { scope: 'none' }],
    ['public, max-age=0', { scope: 'none' }],
    ['private, max-age=0', { scope: 'none' }],
    ['public, max-age=soon', { scope: 'none' }],
    ['public, max-age=-5', { scope: 'none' }],
  ])('reads Cache-Control %j as %j (RESPONSE_CACHE_TTL_SECONDS=60)', (header, expected) => {
    expect(cachePolicyOf(header, MAX)).toEqual(expected);
  });
});
