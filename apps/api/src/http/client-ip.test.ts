import { postMessage } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

describe('the client address', () => {
  let dualStack: RunningApi;
  let behindProxy: RunningApi;
  /** The dual-stack server reached over IPv4. */
  const viaIpv4 = () => dualStack.baseUrl.replace('[::1]', '127.0.0.1');
  beforeAll(async () => {
    dualStack = await startApi({ HOST: '::' });
    behindProxy = await startApi({ TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    await dualStack.close();
    await behindProxy.close();
  });

  it('shows an IPv4 client of a dual-stack socket (IPv4-mapped IPv6) as plain IPv4', async () => {
    const response = await postMessage(viaIpv4(), 'hi', { localAddress: '127.0.0.61' });
    expect(response.json().ip).toBe('127.0.0.61');
  });

  it('shows an IPv6 client in RFC 5952 form and keys its data with colons replaced', async () => {
    const response = await postMessage(dualStack.baseUrl, 'hi', { localAddress: '::1' });
    expect(response.json().ip).toBe('::1');
    expect(dualStack.keys.history('::1')).toBe(`${dualStack.config.redis.prefix}:ip:{--1}:history`);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY trusts the peer', async () => {
    const response = await postMessage(viaIpv4(), 'hi', {
      localAddress: '127.0.0.62',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(response.json().ip).toBe('127.0.0.62');
  });

  it('believes X-Forwarded-For from a trusted proxy: the right-most untrusted hop', async () => {
    const response = await postMessage(behindProxy.baseUrl, 'hi', {
      localAddress: '127.0.0.63',
      headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 127.0.0.8' },
    });
    expect(response.json().ip).toBe('203.0.113.9');
  });

  it('falls back to the last believable address when the header is garbage', async () => {
    const response = await postMessage(behindProxy.baseUrl, 'hi', {
      localAddress: '127.0.0.64',
      headers: { 'x-forwarded-for': 'not-an-ip' },
    });
    expect(response.status).toBe(202);
    expect(response.json().ip).toBe('127.0.0.64');
  });
});
