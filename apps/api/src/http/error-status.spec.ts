import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { KnownErrorCode } from '@lib/common';
import { createApiApp } from '../bootstrap';
import { buildOpenApiDocument } from '../openapi';
import { httpStatusOf } from './error-status';

type ResponseObject = {
  content?: Record<string, { schema?: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }>;
};

/** What the spec says a route can answer must be what the server answers: each documented code under the status it maps to. */
describe('documented error codes', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApiApp({ logger: false, preview: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('every error code a route lists is listed under the HTTP status it is answered with', () => {
    const document = buildOpenApiDocument(app);
    const misplaced: string[] = [];
    let checked = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations as Record<string, { responses?: Record<string, ResponseObject> }>)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const codes = response.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ?? [];
          for (const code of codes) {
            if (code === 'internal_error') continue; // a fault of ours has no code of its own to map
            checked++;
            const mapped = httpStatusOf(code as KnownErrorCode);
            if (String(mapped) !== status)
              misplaced.push(`${method.toUpperCase()} ${path}: ${code} is listed under ${status} but answered with ${mapped}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
    expect(misplaced).toEqual([]);
  });

  it('an unknown code has no status (the switch is exhaustive)', () => {
    expect(() => httpStatusOf('no_such_code' as KnownErrorCode)).toThrow(/unreachable/);
  });
});
