import fc from 'fast-check';
import { FuzzFixtures, FUZZ_PROJECT } from './fuzz-fixtures';
import { deepJson, hostileHeaders, hostileJsonValue, hostilePathSegment, hostileQueryValue, malformedBody } from './hostile-values';
import { BodySchema, Operation } from './openapi-operations';

/** One request as it goes on the wire: repeated header names stay repeated, the body is raw bytes. */
export interface HostileRequest {
  readonly method: string;
  readonly route: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer | null;
  /** Its hostile ingredients, for the report. */
  readonly label: string;
  /** Sent with no valid key: an answer of 2xx would be a hole (health excepted). */
  readonly unauthenticated: boolean;
}

type Auth = 'admin' | 'requester' | 'approver' | 'foreign' | 'none' | 'empty' | 'bogus' | 'huge' | 'basic' | 'lowercase' | 'duplicate';
const UNAUTHENTICATED: ReadonlySet<Auth> = new Set(['none', 'empty', 'bogus', 'huge', 'basic']);

const authArbitrary: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Auth>('admin') },
  { weight: 2, arbitrary: fc.constantFrom<Auth>('requester', 'approver', 'foreign') },
  { weight: 3, arbitrary: fc.constantFrom<Auth>('none', 'empty', 'bogus', 'huge', 'basic', 'lowercase', 'duplicate') },
);

/** What is done to a body: nothing, a few fields changed, or the whole body replaced. */
type BodyPlan =
  | { kind: 'valid' }
  | { kind: 'fields'; changes: FieldChange[] }
  | { kind: 'raw'; text: string; what: string }
  | { kind: 'invalid-utf8' }
  | { kind: 'oversized' };
type FieldChange = { op: 'set'; field: number; value: string } | { op: 'drop'; field: number } | { op: 'unknown'; value: string };

const fieldChange: fc.Arbitrary<FieldChange> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.nat(), value: hostileJsonValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), field: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unknown' as const), value: hostileJsonValue }) },
);

const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<BodyPlan>({ kind: 'valid' }) },
  { weight: 6, arbitrary: fc.array(fieldChange, { minLength: 1, maxLength: 3 }).map((changes): BodyPlan => ({ kind: 'fields', changes })) },
  { weight: 2, arbitrary: malformedBody.map((text): BodyPlan => ({ kind: 'raw', text, what: 'malformed' })) },
  { weight: 1, arbitrary: deepJson.map((text): BodyPlan => ({ kind: 'raw', text, what: 'deep' })) },
  { weight: 1, arbitrary: fc.constantFrom<BodyPlan>({ kind: 'invalid-utf8' }, { kind: 'oversized' }) },
);

/**
 * Hostile requests for one operation: its documented path, query and body, each part either
 * sensible or hostile, under a key that may be the right one, another project's, or none.
 */
export function hostileRequests(input: {
  operation: Operation;
  schemas: Readonly<Record<string, BodySchema>>;
  fixtures: FuzzFixtures;
  seed: number;
  count: number;
}): HostileRequest[] {
  const { operation, fixtures } = input;
  const pathValues = operation.pathParams.map((name) => pathValue(name, fixtures));
  const queryEntries = fc.array(
    fc.tuple(fc.constantFrom(...operation.queryParams, 'unknown_param', '__proto__'), fc.oneof(queryValue(fixtures), hostileQueryValue)),
    { maxLength: operation.queryParams.length + 2 },
  );
  const schema = operation.bodySchema ? input.schemas[operation.bodySchema] : undefined;
  const arbitrary = fc.record({
    auth: authArbitrary,
    path: fc.tuple(...pathValues),
    query: operation.queryParams.length > 0 ? queryEntries : fc.constant<[string, string][]>([]),
    // Routes without a body get one now and then anyway.
    body: schema ? bodyPlan : fc.option(bodyPlan, { freq: 5 }),
    headers: hostileHeaders,
  });
  return fc.sample(arbitrary, { seed: input.seed, numRuns: input.count }).map((parts, index) => {
    const fields = templateFields({ operation, schema, fixtures, tag: `${input.seed}-${index}` });
    const body = parts.body === null ? null : renderBody(parts.body, fields);
    const path = operation.pathParams.reduce((route, name, index) => route.replace(`{${name}}`, parts.path[index]), operation.route);
    const query = parts.query.map(([name, value]) => `${name}=${value}`).join('&');
    const headers: [string, string][] = [...authHeaders(parts.auth, fixtures), ...parts.headers];
    if (body && !headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/json']);
    return {
      method: operation.method,
      route: operation.route,
      path: query ? `${path}?${query}` : path,
      headers,
      body: body?.bytes ?? null,
      label: [
        `auth=${parts.auth}`,
        body ? `body=${body.what}` : 'no body',
        parts.headers.length ? `headers=${parts.headers.map(([name]) => name).join('+')}` : '',
      ]
        .filter(Boolean)
        .join(' '),
      unauthenticated: UNAUTHENTICATED.has(parts.auth),
    };
  });
}

function pathValue(name: string, fixtures: FuzzFixtures): fc.Arbitrary<string> {
  const sensible =
    name === 'auth_code'
      ? fc.constantFrom(fixtures.grantCode, `GBA-${fixtures.foreignRunId}`, 'GBA-9999999999999999999')
      : name === 'execution_id'
        ? fc.constantFrom(fixtures.blockedRunId, fixtures.foreignRunId, fixtures.blockedRunId.toUpperCase())
        : fc.uuid();
  return fc.oneof({ weight: 2, arbitrary: sensible }, { weight: 3, arbitrary: hostilePathSegment });
}

function queryValue(fixtures: FuzzFixtures): fc.Arbitrary<string> {
  return fc.constantFrom(FUZZ_PROJECT, 'chaos-load-a', fixtures.blockedRunId, fixtures.foreignRunId, '10', '1', 'approval.approved', '0');
}

function authHeaders(auth: Auth, fixtures: FuzzFixtures): [string, string][] {
  const bearer = (key: string): [string, string] => ['Authorization', `Bearer ${key}`];
  switch (auth) {
    case 'admin':
      return [bearer(fixtures.keys.admin)];
    case 'requester':
      return [bearer(fixtures.keys.requester)];
    case 'approver':
      return [bearer(fixtures.keys.approver)];
    case 'foreign':
      return [bearer(fixtures.foreignKey)];
    case 'none':
      return [];
    case 'empty':
      return [['Authorization', 'Bearer ']];
    case 'bogus':
      return [bearer('cpk_0000000000000000000000000000000000000000')];
    case 'huge':
      return [bearer('k'.repeat(8_000))];
    case 'basic':
      return [['Authorization', 'Basic dXNlcjpwYXNz']];
    case 'lowercase':
      return [['Authorization', `bearer ${fixtures.keys.admin}`]];
    case 'duplicate':
      return [bearer(fixtures.keys.admin), bearer(fixtures.keys.requester)];
  }
}

/** A sensible body for the operation, as raw JSON text per field: examples from the schema, with real ids where they matter. */
function templateFields(input: {
  operation: Operation;
  schema: BodySchema | undefined;
  fixtures: FuzzFixtures;
  tag: string;
}): [string, string][] {
  const { operation, schema, fixtures } = input;
  if (!schema) return [['note', '"unexpected body"']];
  const overrides: Record<string, unknown> = {
    project_id: FUZZ_PROJECT,
    project_ids: [FUZZ_PROJECT],
    idempotency_key: `fuzz-${operation.method}-${input.tag}`,
    action: 'ops.sleep',
    params: { ms: 1 },
    targets: ['fuzz-t'],
    plan_hash: fixtures.planHash,
    reason: 'chaos fuzz',
    until: '2030-01-01T00:00:00Z',
    older_than_seconds: 3_153_600_000,
    limit: 10,
    name: 'chaos-fuzz-key',
  };
  return Object.entries(schema.properties).map(([name, property]) => {
    const value = name in overrides ? overrides[name] : (property.example ?? (property.type === 'array' ? ['x'] : 'x'));
    return [name, JSON.stringify(value)];
  });
}

function renderBody(plan: BodyPlan, fields: [string, string][]): { bytes: Buffer; what: string } {
  switch (plan.kind) {
    case 'valid':
      return { bytes: Buffer.from(objectText(fields)), what: 'valid' };
    case 'raw':
      return { bytes: Buffer.from(plan.text), what: plan.what };
    case 'invalid-utf8':
      return {
        bytes: Buffer.from([0x7b, 0x22, 0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
        what: 'invalid-utf8',
      };
    case 'oversized':
      return { bytes: Buffer.from(objectText([...fields, ['padding', JSON.stringify('p'.repeat(70 * 1024))]])), what: 'oversized' };
    case 'fields': {
      const changed = [...fields];
      const what: string[] = [];
      for (const change of plan.changes) {
        if (change.op === 'unknown') {
          changed.push([`unknown_${what.length}`, change.value]);
          what.push('unknown-field');
        } else if (changed.length > 0) {
          const index = change.field % changed.length;
          what.push(`${change.op}:${changed[index][0]}`);
          if (change.op === 'drop') changed.splice(index, 1);
          else changed[index] = [changed[index][0], change.value];
        }
      }
      return { bytes: Buffer.from(objectText(changed)), what: what.join(',') };
    }
  }
}

function objectText(fields: readonly [string, string][]): string {
  return `{${fields.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
}
