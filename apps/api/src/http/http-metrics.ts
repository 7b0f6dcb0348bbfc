import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../context.js';
import type { ApiMetrics } from '../ops/metrics.js';

/**
 * Counts and times every request by its route pattern (`/v1/messages/:id`, never the raw
 * path, so the label set stays small), and counts refused messages by their error code.
 */
export function httpMetrics(metrics: ApiMetrics) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const stopTimer = metrics.httpSeconds.startTimer();
    await next();
    const matched = routePath(c, -1);
    const route = matched === '/*' || matched === '*' ? 'unmatched' : matched;
    const { method } = c.req;
    const status = c.res.status;
    stopTimer({ method, route });
    metrics.httpRequests.inc({ method, route, status: String(status) });
    if (method === 'POST' && route === '/v1/messages') {
      if (status >= 400) metrics.messagesRejected.inc({ reason: c.get('errorCode') ?? String(status) });
    }
  });
}
