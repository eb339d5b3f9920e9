import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

/** One answer that the committed openapi.json does not allow. */
export interface SpecViolation {
  readonly request: string;
  readonly status: number;
  readonly problem: string;
}

/**
 * Checks the answers the e2e suite receives against the committed openapi.json: the status must
 * be one the operation declares, and a JSON body must match its schema, with no field the schema
 * does not declare (a schema that leaves its properties open is closed here). A drift between
 * the code and the spec fails a test. OpenAPI 3.0's `nullable` is read as JSON Schema's null.
 */
export class OpenApiValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly routes: Array<{ method: string; pattern: RegExp; path: string; operation: Operation }> = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly violations: SpecViolation[] = [];
  checked = 0;

  constructor(specPath = resolve(__dirname, '..', '..', 'openapi.json')) {
    addFormats(this.ajv);
    const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    };
    this.ajv.addSchema({ $id: 'openapi', components: { schemas: closeAll(spec.components.schemas) } });
    for (const [path, operations] of Object.entries(spec.paths)) {
      const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries(operations))
        this.routes.push({ method: method.toUpperCase(), pattern, path, operation });
    }
  }

  /** Checks one answer; what is wrong is kept in `violations`. Requests to no operation (an unknown route) are not judged. */
  check(input: { method: string; url: string; status: number; contentType: string | undefined; body: unknown; text?: string }): void {
    const path = new URL(input.url, 'http://spec.invalid').pathname;
    const candidates = this.routes.filter((route) => route.pattern.test(path));
    // A literal path (…/run/by_key) wins over a template (…/run/{execution_id}).
    const route =
      candidates.find((candidate) => candidate.method === input.method.toUpperCase() && !candidate.path.includes('{')) ??
      candidates.find((candidate) => candidate.method === input.method.toUpperCase());
    if (!route) return;
    this.checked++;
    const request = `${input.method.toUpperCase()} ${path} (${route.operation.operationId})`;
    const declared = route.operation.responses[String(input.status)] ?? route.operation.responses.default;
    if (!declared) {
      this.violations.push({ request, status: input.status, problem: `status ${input.status} is not declared` });
      return;
    }
    const mediaType = (input.contentType ?? '').split(';')[0].trim();
    const content = declared.content;
    if (!content) {
      if (input.text && input.text.length > 0 && input.status !== 408) {
        this.violations.push({
          request,
          status: input.status,
          problem: `a body is sent where none is declared: ${input.text.slice(0, 120)}`,
        });
      }
      return;
    }
    if (!content[mediaType]) {
      this.violations.push({
        request,
        status: input.status,
        problem: `content type "${mediaType}" is not declared (${Object.keys(content).join(', ')})`,
      });
      return;
    }
    if (mediaType !== 'application/json') return;
    const key = `${route.operation.operationId}:${input.status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(close(content[mediaType].schema)) as Schema);
      this.compiled.set(key, validate);
    }
    if (!validate(input.body)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
      this.violations.push({
        request,
        status: input.status,
        problem: `body does not match the schema: ${errors.join('; ')}; body: ${JSON.stringify(input.body)?.slice(0, 300)}`,
      });
    }
  }
}

/** The schema with every object that declares properties closed to undeclared ones, and nullable made JSON Schema. */
function close(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(close);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Schema = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === 'enum' || key === 'example' ? value : close(value)]),
  );
  if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  if (copy.nullable === true) {
    delete copy.nullable;
    if (typeof copy.type === 'string' && !copy.allOf) return { ...copy, type: [copy.type, 'null'] };
    return { anyOf: [copy, { type: 'null' }] };
  }
  return copy;
}

function closeAll(schemas: Record<string, Schema>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, rewriteRefs(close(schema))]));
}

function rewriteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? value.replace(/^#/, 'openapi#') : rewriteRefs(value),
    ]),
  );
}

/** One validator for the whole test process (the spec is read once). */
export const SPEC = new OpenApiValidator();
