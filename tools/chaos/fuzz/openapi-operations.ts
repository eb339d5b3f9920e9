import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One path + method of the committed openapi.json, with what the fuzzer needs to aim at it. */
export interface Operation {
  readonly method: string;
  /** The route as documented, with {placeholders}. */
  readonly route: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  readonly headerParams: readonly string[];
  /** The request body's schema name (e.g. CreateExecutionRunDto), if it takes one. */
  readonly bodySchema: string | null;
  /** Whether the route needs no key (health). */
  readonly public: boolean;
}

export interface BodySchema {
  readonly properties: Readonly<Record<string, { type?: string; example?: unknown; items?: { type?: string; enum?: unknown[] } }>>;
  readonly required: readonly string[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, { properties?: BodySchema['properties']; required?: string[] }> };
}

interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  security?: unknown[];
}

/** Every operation of the committed document (the one `npm run openapi:check` keeps current), in document order. */
export function readOperations(repoRoot: string): { operations: Operation[]; schemas: Record<string, BodySchema> } {
  const document = JSON.parse(readFileSync(join(repoRoot, 'openapi.json'), 'utf8')) as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [route, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = operation.parameters ?? [];
      const named = (place: string) => parameters.filter((parameter) => parameter.in === place).map((parameter) => parameter.name);
      const ref = operation.requestBody?.content?.['application/json']?.schema?.$ref;
      operations.push({
        method: method.toUpperCase(),
        route,
        pathParams: named('path'),
        queryParams: named('query'),
        headerParams: named('header'),
        bodySchema: ref ? (ref.split('/').pop() ?? null) : null,
        public: route.startsWith('/health/'),
      });
    }
  }
  const schemas: Record<string, BodySchema> = {};
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    schemas[name] = { properties: schema.properties ?? {}, required: schema.required ?? [] };
  }
  return { operations, schemas };
}
