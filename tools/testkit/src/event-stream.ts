import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Timeouts } from './timeouts.js';
import { waitFor } from './wait-for.js';

export interface ServerSentEvent {
  event: string;
  id?: string;
  data: string;
}

export interface EventStream {
  status: number;
  headers: IncomingMessage['headers'];
  /** Every event received so far, in order. */
  events: ServerSentEvent[];
  /** Comment lines (`: …`) received so far, e.g. heartbeats. */
  comments: string[];
  /** Waits until `count` events have arrived and returns them. */
  take(count: number, timeoutMs?: number): Promise<ServerSentEvent[]>;
  close(): void;
}

/**
 * Opens a Server-Sent Events stream over real HTTP (from a chosen source address) and parses
 * it as a browser's EventSource would: `event`, `id`, `data` fields, blank-line dispatch.
 */
export function openEventStream(
  baseUrl: string,
  path: string,
  options: { localAddress?: string; headers?: OutgoingHttpHeaders } = {},
): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, baseUrl), {
      headers: { accept: 'text/event-stream', ...options.headers },
      localAddress: options.localAddress,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const stream: EventStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        comments: [],
        take: (count, timeoutMs = Timeouts.condition) =>
          waitFor(`${count} server-sent events (got ${stream.events.length})`, () => stream.events.length >= count && stream.events.slice(0, count), {
            timeoutMs,
          }),
        close: () => req.destroy(),
      };
      let buffer = '';
      let current: Partial<ServerSentEvent> & { data?: string } = {};
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) !== -1) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (current.data !== undefined) stream.events.push({ event: current.event ?? 'message', id: current.id, data: current.data });
            current = {};
          } else if (line.startsWith(':')) {
            stream.comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
            else if (field === 'event') current.event = value;
            else if (field === 'id') current.id = value;
          }
        }
      });
      res.on('error', () => {});
      resolve(stream);
    });
    req.end();
  });
}
