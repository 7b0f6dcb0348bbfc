import { OpenAPIHono, type OpenAPIHonoOptions, type z } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { AppError, type ErrorCode } from '../http/errors.js';

/** The code of a refused part of a request: by the field when it has its own, else by where it was. */
const CODE_OF_FIELD: Readonly<Record<string, ErrorCode>> = {
  'Idempotency-Key': 'invalid_idempotency_key',
  ip: 'invalid_ip',
  // An id that cannot be one is answered like one that is nobody's: nothing to tell them apart.
  id: 'not_found',
};
const CODE_OF_TARGET: Readonly<Record<string, ErrorCode>> = { query: 'invalid_query', header: 'bad_request', param: 'bad_request' };

/**
 * What every route's request validation does with a refusal: throws the AppError of the first
 * problem, its message the one its schema gives (so it names the field and its bounds), for
 * the one onError to answer.
 */
export const refuseInvalid: NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']> = (result) => {
  if (result.success) return;
  const [issue] = result.error.issues;
  const field = String(issue?.path[0] ?? '');
  throw new AppError(CODE_OF_FIELD[field] ?? CODE_OF_TARGET[result.target] ?? 'bad_request', issue?.message ?? 'The request is not valid.');
};

/**
 * One request field checked by its schema where the route's validator middleware would cost
 * too much (the hot path): the value, or the AppError `code` with the schema's message.
 */
export function validField<T>(schema: z.ZodType<T>, value: unknown, code: ErrorCode): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError(code, result.error.issues[0]?.message ?? 'The request is not valid.');
  return result.data;
}

/** A group of documented routes whose requests are validated by their schemas. */
export const documentedRoutes = () => new OpenAPIHono<AppEnv>({ defaultHook: refuseInvalid });
