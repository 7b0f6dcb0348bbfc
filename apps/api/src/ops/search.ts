import { normalizeIp, type HistoryEntry } from '@msgpipe/shared';
import type { Services } from '../context.js';
import { isMessageId } from '../intake/message-id.js';
import { lookUpMessage, type MessageAsker } from '../queues/message-lookup.js';
import type { MessageView } from '../routes/message-view.js';

/** What the ops page's search box found. */
export type SearchResult =
  | { kind: 'message'; message: MessageView }
  | { kind: 'history'; ip: string; entries: HistoryEntry[] }
  | { kind: 'no-message'; id: string }
  | { kind: 'invalid'; query: string; reason: string };

/** Longer than any message id or IP address (an IPv6 with a zone is not one we store). */
export const MAX_QUERY_CHARS = 100;
/** The newest history entries shown for an IP. */
export const SEARCH_HISTORY_ENTRIES = 20;

/**
 * A message id (22 characters) finds the message, as `GET /v1/messages/{id}` does for an admin;
 * an IPv4 or IPv6 address (also in the `-` form of key names) its newest history entries, as
 * `GET /v1/ips/{ip}/history` does. Anything else is refused with a reason.
 */
export async function search(
  services: Pick<Services, 'config' | 'queues' | 'history' | 'redisWork'>,
  rawQuery: string | undefined,
  asker: MessageAsker,
): Promise<SearchResult> {
  const query = (rawQuery ?? '').trim();
  if (query === '') return { kind: 'invalid', query, reason: 'Type a message id or an IP address.' };
  if (query.length > MAX_QUERY_CHARS) return { kind: 'invalid', query: query.slice(0, MAX_QUERY_CHARS), reason: 'That is longer than any message id or IP address.' };
  if (isMessageId(query)) {
    const message = await lookUpMessage(services, query, asker);
    return message ? { kind: 'message', message } : { kind: 'no-message', id: query };
  }
  const ip = normalizeIp(query.includes(':') ? query : query.replaceAll('-', ':'));
  if (!ip) return { kind: 'invalid', query, reason: 'That is neither a message id (22 characters) nor an IPv4 or IPv6 address.' };
  const limit = Math.min(SEARCH_HISTORY_ENTRIES, services.config.history.maxEntries);
  return { kind: 'history', ip, entries: await services.redisWork(() => services.history.list(ip, limit)) };
}
