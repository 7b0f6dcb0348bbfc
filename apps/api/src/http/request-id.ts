import { randomUUID } from 'node:crypto';
import { isRequestId } from '@msgpipe/shared';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * The id a request is known by in the logs and on its answer: the client's (or its proxy's)
 * X-Request-Id when it is 1–128 visible ASCII characters, else a new one. An id out of bounds is
 * replaced rather than refused: it only labels log lines, and an answer must not fail for it.
 */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && isRequestId(header) ? header : randomUUID();
}
