import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRoute } from '@hono/zod-openapi';
import { html, raw } from 'hono/html';
import { AppError } from '../http/errors.js';
import { DOCUMENT_PATH } from '../openapi/document.js';
import { errorResponses, htmlPage } from '../openapi/responses.js';
import { documentedRoutes } from '../openapi/validation.js';

export const DOCS_PATH = '/docs';
export const DOCS_ASSETS_PATH = `${DOCS_PATH}/assets`;

/** Swagger UI's files, from its package (a production dependency): served by us, so the page needs no internet. */
const UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: ReadonlyMap<string, { type: string; body: string }> = new Map(
  [
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['swagger-ui.css', 'text/css; charset=utf-8'],
  ].map(([file, type]) => [file as string, { type: type as string, body: readFileSync(join(UI_DIR, file as string), 'utf8') }]),
);

/** Ours, with the answer's nonce: points the UI at this API's document and at nothing else (no validator badge). */
const START = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(DOCUMENT_PATH)}, dom_id: '#reference', deepLinking: true, validatorUrl: null, tryItOutEnabled: false });`;

const page = createRoute({
  method: 'get',
  path: DOCS_PATH,
  summary: 'The API reference',
  tags: ['pages'],
  responses: { 200: htmlPage('This document, browsable (Swagger UI); works offline.'), ...errorResponses() },
});

/**
 * `GET /docs`: the API reference, Swagger UI on `/openapi.json`, its script and styles served
 * from `/docs/assets/` out of memory (read once, at startup).
 */
export function docsPage() {
  return documentedRoutes()
    .openapi(page, (c) => {
      const nonce = c.get('secureHeadersNonce');
      return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>msgpipe · API reference</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css"></head>
<body><main id="reference"></main>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js" nonce="${nonce}"></script>
<script nonce="${nonce}">${raw(START)}</script></body></html>`);
    })
    .get(`${DOCS_ASSETS_PATH}/:file`, (c) => {
      const asset = ASSETS.get(c.req.param('file'));
      if (!asset) throw new AppError('not_found', `No route for ${c.req.method} ${c.req.path}.`);
      return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' });
    });
}
