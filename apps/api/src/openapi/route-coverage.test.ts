import { request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { DASHBOARD_PATH } from '../admin/dashboard.js';
import { DOCS_ASSETS_PATH } from '../pages/docs-page.js';

/**
 * What the app routes but the document leaves out, on purpose, and why. Anything else the app
 * answers must be in the document.
 */
const LEFT_OUT: ReadonlyArray<[matches: (method: string, path: string) => boolean, reason: string]> = [
  [
    (method) => method === 'ALL',
    'middleware (app.use): metrics, security headers, client IP, CORS and the origin check, the admin guard; they add to answers or refuse (as documented per route), answering no path of their own but CORS preflights',
  ],
  [(_, path) => path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`), 'bull-board: its page and the JSON API only that page calls, both bull-board’s to shape; behind the admin guard'],
  [(_, path) => path.startsWith(`${DOCS_ASSETS_PATH}/`), 'the /docs page’s own script and stylesheet (Swagger UI’s files)'],
];

/** Hono's `/v1/messages/:id` as OpenAPI's `/v1/messages/{id}`. */
const openApiPath = (path: string) => path.replace(/:([^/]+)/g, '{$1}');

describe('the OpenAPI document covers the app', () => {
  let api: RunningApi;
  let paths: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    api = await startApi();
    paths = (JSON.parse((await request(api.baseUrl, '/openapi.json')).text) as { paths: typeof paths }).paths;
  });
  afterAll(() => api.close());

  it('documents every route of the app but those left out with a reason', () => {
    const missing = api.app.routes
      .filter(({ method, path }) => !LEFT_OUT.some(([matches]) => matches(method, path)))
      .filter(({ method, path }) => paths[openApiPath(path)]?.[method.toLowerCase()] === undefined)
      .map(({ method, path }) => `${method} ${path}`);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('documents no route the app does not have', () => {
    const routed = new Set(api.app.routes.map(({ method, path }) => `${method.toLowerCase()} ${openApiPath(path)}`));
    const documented = Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    expect(documented.filter((operation) => !routed.has(operation))).toEqual([]);
  });

  it('leaves out only what is listed, each exclusion still matching a route', () => {
    for (const [matches, reason] of LEFT_OUT) expect(api.app.routes.some(({ method, path }) => matches(method, path)), reason).toBe(true);
  });
});
