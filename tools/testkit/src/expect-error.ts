import { expect } from 'vitest';

/** A response as the tests hold it: from request() (`text`) or read off the wire (`body`). */
export type ErrorResponse = { status: number } & ({ text: string } | { body: string });

/**
 * Asserts an answer in the API's error shape, `{ error: { code, message } }`, with `status`
 * and, when given, `code`; returns the message for further checks.
 */
export function expectError(response: ErrorResponse | undefined, status: number, code?: string): string {
  expect(response?.status).toBe(status);
  const raw = response === undefined ? '' : 'text' in response ? response.text : response.body;
  const body = JSON.parse(raw) as { error: { message: string } };
  expect(body).toEqual({ error: { code: code ?? expect.any(String), message: expect.any(String) } });
  return body.error.message;
}
