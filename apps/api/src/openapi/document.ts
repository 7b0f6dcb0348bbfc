import { createRequire } from 'node:module';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { errorResponses } from './responses.js';
import { SECURITY_SCHEMES } from './security.js';

export const DOCUMENT_PATH = '/openapi.json';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const DESCRIPTION = `A message pipeline: send a message, get its answer (poll, wait, or stream).

Every error is \`{"error": {"code", "message"}}\`; act on \`code\`. A client is known by its
address. Admin routes take the admin token as a Bearer token or as the password of HTTP Basic.
Every answer carries \`X-Request-Id\`: the request's own (1–128 visible ASCII characters) or a
new one; the logs of the request and of its message carry it.`;

const serve = createRoute({
  method: 'get',
  path: DOCUMENT_PATH,
  summary: 'This document',
  tags: ['pages'],
  responses: { 200: { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } } }, ...errorResponses() },
});

/**
 * Serves `GET /openapi.json`: the document of every route `app` has registered by now (this one
 * included), generated once from the routes' own schemas, so it cannot drift from what they
 * validate. Call it after every documented route is mounted.
 */
export function serveOpenApiDocument(app: OpenAPIHono<AppEnv>): Record<string, unknown> {
  let body = '';
  // Serialized once: the answer is the JSON text itself, which the route's typing cannot see.
  app.openapi(serve, (c) => c.body(body, 200, { 'Content-Type': 'application/json' }) as never);
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  const document = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'msgpipe', version, description: DESCRIPTION },
    tags: [
      { name: 'messages', description: 'Send messages and read their answers.' },
      { name: 'history', description: 'Your own finished messages.' },
      { name: 'admin', description: 'Admin token required.' },
      { name: 'operations', description: 'Health and metrics.' },
      { name: 'pages', description: 'HTML pages and this document.' },
    ],
  });
  body = JSON.stringify(document);
  return document as unknown as Record<string, unknown>;
}
