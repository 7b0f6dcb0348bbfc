import { RedisServer } from '@msgpipe/testkit';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { startEchoWorker } from '../test/echo-worker.fixture.js';
import { CONTRACT_CASES, CONTRACT_ENV, type ContractCase } from './contract-cases.fixture.js';
import { send, slowBody, slowHeaders, tooLargeHeaders } from './contract-requests.fixture.js';
import { DocumentChecker, type Answer } from './document-checker.fixture.js';

const ADMIN_TOKEN_ENV = { ADMIN_TOKEN: 'testkit-admin-token-0123456789' };

/** Every operation of the document, as `[METHOD, /path]`. */
const operationsOf = (checker: DocumentChecker) =>
  Object.entries(checker.document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => [method.toUpperCase(), path] as const));

const answersWith = (checker: DocumentChecker, status: number) =>
  operationsOf(checker).filter(([method, path]) => checker.document.paths[path]![method.toLowerCase()]!.responses[String(status)]);

/** Asserts a request got the answer it is about, and that the answer is as documented. */
function expectAnswer(checker: DocumentChecker, { operation, status, code }: Omit<ContractCase, 'answer'>, answer: Answer): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  if (code) expect((JSON.parse(answer.text) as { error: { code: string } }).error.code).toBe(code);
  const [method, path] = operation.split(' ') as [string, string];
  checker.check(method, path, answer);
}

/**
 * The API against its own document: the document is valid OpenAPI 3.1, every documented
 * operation × status × error code is answered by a real request over HTTP and the answer
 * validated against the document (ajv), and nothing the document promises goes unexercised.
 */
describe('the OpenAPI document', () => {
  let api: RunningApi;
  let worker: { close(): Promise<void> };
  let checker: DocumentChecker;
  let redis: RedisServer;
  let outage: RunningApi;

  beforeAll(async () => {
    api = await startApi({ ...ADMIN_TOKEN_ENV, ...CONTRACT_ENV });
    worker = await startEchoWorker(api);
    checker = new DocumentChecker(JSON.parse((await send(api, 'GET', '/openapi.json')).text) as DocumentChecker['document']);
    // An API of its own Redis, which the 503s stop; its short request timeout is for the 408.
    redis = await RedisServer.start();
    outage = await startApi({ ...ADMIN_TOKEN_ENV, ...CONTRACT_ENV }, redis.url, { headersTimeoutMs: 1_000, requestTimeoutMs: 1_000, checkIntervalMs: 100 });
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await outage?.close();
    await redis?.stop();
  });

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(checker.document) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it.each(CONTRACT_CASES.map((c) => [`${c.operation} → ${c.status}${c.code ? ` ${c.code}` : ''}`, c] as const))('%s', async (_, contractCase) => {
    expectAnswer(checker, contractCase, await contractCase.answer(api));
  });

  it('answers every operation with 431 headers_too_large when the headers are over the limit', async () => {
    for (const [method, path] of answersWith(checker, 431)) {
      expectAnswer(checker, { operation: `${method} ${path}`, status: 431, code: 'headers_too_large' }, await tooLargeHeaders(api, method, path));
    }
  });

  it('answers every operation with 408 request_timeout when its headers, or a body, stop arriving', async () => {
    const operations = answersWith(checker, 408);
    const answers = await Promise.all(operations.map(([method, path]) => slowHeaders(outage, method, path)));
    operations.forEach(([method, path], index) => {
      expectAnswer(checker, { operation: `${method} ${path}`, status: 408, code: 'request_timeout' }, answers[index]!);
    });
    expectAnswer(checker, { operation: 'POST /v1/messages', status: 408, code: 'request_timeout' }, await slowBody(outage));
  });

  it('answers 503 unavailable wherever it documents it, while Redis is down', async () => {
    await redis.stop();
    for (const [method, path] of answersWith(checker, 503)) {
      expectAnswer(checker, { operation: `${method} ${path}`, status: 503, code: 'unavailable' }, await send(outage, method, path));
    }
  });

  it('has seen every documented answer (the `default` 500 aside: no request may cause one)', () => {
    expect(checker.documentedAnswers().filter((answer) => !checker.covered.has(answer))).toEqual([]);
  });
});
