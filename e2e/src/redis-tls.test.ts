import { randomBytes } from 'node:crypto';
import { RedisServer } from '@msgpipe/redis-server';
import { createTestCertificates, type TestCertificates } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exerciseEverything, expectNoSecrets, expectUnavailable, startSecuredPipeline, type SecuredPipeline } from './secured-pipeline.js';

describe('Redis over TLS (rediss://), with a password, the CA made by the test', () => {
  const password = randomBytes(18).toString('hex');
  let certificates: TestCertificates;
  let otherCa: TestCertificates;
  let server: RedisServer;
  let url: string;
  const pipelines: SecuredPipeline[] = [];

  beforeAll(async () => {
    certificates = createTestCertificates();
    otherCa = createTestCertificates({ caName: 'some other CA' });
    // TLS only: the plain port is closed, so nothing can fall back to plain text.
    server = await RedisServer.start({ tls: certificates, settings: { requirepass: password } });
    url = `rediss://:${password}@127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await Promise.all(pipelines.map((pipeline) => pipeline.kill()));
    await server?.stop();
    certificates?.remove();
    otherCa?.remove();
  });

  it('runs the whole pipeline when the processes trust the CA through NODE_EXTRA_CA_CERTS', async () => {
    const pipeline = await startSecuredPipeline(url, { NODE_EXTRA_CA_CERTS: certificates.caFile });
    pipelines.push(pipeline);
    await exerciseEverything(pipeline, '127.0.0.31');
    expect(pipeline.api.output).toContain(`"redis":"rediss://:***@127.0.0.1:${server.port}"`);
    expectNoSecrets(pipeline, [password]);
    await pipeline.kill();
  });

  it.each<[string, () => Record<string, string>]>([
    ['no extra CA', () => ({})],
    ['another CA', () => ({ NODE_EXTRA_CA_CERTS: otherCa.caFile })],
  ])('refuses the server with %s: 503 at once, and logs that say the certificate is not trusted', async (_, extraEnv) => {
    const pipeline = await startSecuredPipeline(url, extraEnv());
    pipelines.push(pipeline);
    await expectUnavailable(pipeline, '127.0.0.32');
    for (const process of [pipeline.api, pipeline.worker]) {
      await process.waitForOutput(/Redis TLS certificate not trusted \(SELF_SIGNED_CERT_IN_CHAIN\).*NODE_EXTRA_CA_CERTS/);
    }
    expect(pipeline.worker.output).not.toMatch(/worker consuming/);
    expectNoSecrets(pipeline, [password]);
    await pipeline.kill();
  });
});
