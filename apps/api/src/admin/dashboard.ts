import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';
import type { MessageQueues } from '../queues/message-queues.js';

export const DASHBOARD_PATH = '/admin/queues';

/** bull-board's queue dashboard for every partition (the caller puts admin auth in front). */
export function queueDashboard(queues: MessageQueues): Hono {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(DASHBOARD_PATH);
  const adapters = () => queues.queues.map((queue) => new BullMQAdapter(queue));
  const board = createBullBoard({ queues: adapters(), serverAdapter, options: { uiConfig: { boardTitle: 'msgpipe' } } });
  queues.onReplaced(() => board.replaceQueues(adapters()));
  return serverAdapter.registerPlugin();
}
