import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

/** An answer as the tests hold it: from request(), an event stream, or read off the wire. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

interface ResponseDoc {
  content?: Record<string, { schema: unknown }>;
  headers?: Record<string, { schema: unknown; required?: boolean }>;
}
type Operations = Record<string, Record<string, { responses: Record<string, ResponseDoc> }>>;

/** A JSON pointer's parts as a URI fragment (paths have `/`, `{` and `}` in them). */
const pointer = (...parts: string[]) => parts.map((part) => encodeURIComponent(part.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');

/**
 * Checks real answers against the OpenAPI document with ajv (JSON Schema 2020-12, the dialect
 * of OpenAPI 3.1): the status is documented for the operation, the media type is one the
 * document names, the body matches its schema, and the documented headers are present when
 * required and match their schemas. Records what each answer covered (operation, status and
 * error code) for the test that every documented answer was seen.
 */
export class DocumentChecker {
  readonly covered = new Set<string>();
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: { paths: Operations }) {
    addFormats.default(this.#ajv);
    this.#ajv.addSchema(document, 'openapi.json');
  }

  /** `GET /v1/messages/{id} 404 not_found`: what the document promises, one line each. */
  documentedAnswers(): string[] {
    const answers: string[] = [];
    for (const [path, operations] of Object.entries(this.document.paths)) {
      for (const [method, { responses }] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(responses)) {
          if (status === 'default') continue; // `internal`: no request can make the API fail on purpose
          const codes = this.#codesOf(response);
          for (const code of codes ?? ['']) answers.push(`${method.toUpperCase()} ${path} ${status}${code && ` ${code}`}`);
        }
      }
    }
    return answers.sort();
  }

  /** Asserts `answer` is a documented answer of the operation, and records it as covered. */
  check(method: string, path: string, answer: Answer): void {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    expect(operation, `${method} ${path} is documented`).toBeDefined();
    const response = operation!.responses[String(answer.status)];
    expect(response, `${method} ${path} documents ${answer.status}: ${answer.text.slice(0, 200)}`).toBeDefined();
    const base = pointer('paths', path, method.toLowerCase(), 'responses', String(answer.status));

    const mediaType = String(answer.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (response!.content) {
      expect(Object.keys(response!.content), `${method} ${path} ${answer.status} media type`).toContain(mediaType);
      const body = mediaType === 'application/json' ? JSON.parse(answer.text) : answer.text;
      this.#expectValid(`${base}/content/${pointer(mediaType)}/schema`, body, `${method} ${path} ${answer.status} body`);
    } else {
      expect(answer.text, `${method} ${path} ${answer.status} has no body`).toBe('');
    }
    for (const [name, header] of Object.entries(response!.headers ?? {})) {
      const value = answer.headers[name.toLowerCase()];
      if (header.required) expect(value, `${method} ${path} ${answer.status} sends ${name}`).toBeDefined();
      if (value !== undefined) this.#expectValid(`${base}/headers/${pointer(name)}/schema`, value, `${method} ${path} ${answer.status} ${name}`);
    }
    const code = this.#codesOf(response!) && (JSON.parse(answer.text) as { error: { code: string } }).error.code;
    this.covered.add(`${method.toUpperCase()} ${path} ${answer.status}${code ? ` ${code}` : ''}`);
  }

  #codesOf(response: ResponseDoc): string[] | undefined {
    const schema = response.content?.['application/json']?.schema as { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } | undefined;
    return schema?.properties?.error?.properties?.code?.enum;
  }

  #expectValid(at: string, value: unknown, what: string): void {
    let validate = this.#compiled.get(at);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `openapi.json#/${at}` });
      this.#compiled.set(at, validate);
    }
    expect(validate(value) ? [] : validate.errors, what).toEqual([]);
  }
}
