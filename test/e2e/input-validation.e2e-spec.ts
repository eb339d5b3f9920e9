import fc from 'fast-check';
import { uniqueProject, useTestApi } from '../support/api-client';

describe('bad input gets a clear 4xx with its own code and changes nothing', () => {
  const { api, pool } = useTestApi();
  let requester: string;

  beforeAll(async () => {
    requester = (await api.mintKey({ roles: ['requester'] })).key;
  });

  const runsIn = async (project: string): Promise<number> =>
    (await pool.query(`SELECT count(*)::int AS n FROM execution_runs WHERE project_id = $1`, [project])).rows[0].n;

  const post = (body: string, contentType = 'application/json') =>
    api.http.post('/api/v1/execution/run').set('Authorization', `Bearer ${requester}`).set('Content-Type', contentType).send(body);

  it.each([
    ['malformed JSON', '{"project_id": "p", ', 400, 'malformed_json'],
    ['an empty JSON body', '', 400, 'empty_body'],
    ['a JSON array body', '[]', 400, 'body_not_object'],
    ['a JSON null body', 'null', 400, 'body_not_object'],
    ['prototype poisoning', '{"project_id":"p","idempotency_key":"k","action":"a","__proto__":{"x":1}}', 400, 'malformed_json'],
  ])('%s', async (_name, body, status, code) => {
    const response = await post(body);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.body.request_id).toBe(response.headers['x-request-id']);
  });

  it('a body that is not JSON → 415 unsupported_media_type', async () => {
    const response = await post('project_id=p', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
  });

  it('a body over 64 KiB → 413 payload_too_large, and no run', async () => {
    const project = uniqueProject();
    const response = await api.createRun(requester, {
      project_id: project,
      idempotency_key: 'big',
      action: 'deploy',
      params: { blob: 'x'.repeat(70 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
    expect(await runsIn(project)).toBe(0);
  });

  const valid = (project: string) => ({ project_id: project, idempotency_key: 'k', action: 'deploy' });

  it.each<[string, (project: string) => Record<string, unknown>, string, string]>([
    ['an unknown field', (p) => ({ ...valid(p), surprise: true }), 'unknown_field', 'surprise'],
    ['a missing action', (p) => ({ project_id: p, idempotency_key: 'k' }), 'missing_field', 'action'],
    ['a number for action', (p) => ({ ...valid(p), action: 42 }), 'invalid_type', 'action'],
    ['an empty idempotency_key', (p) => ({ ...valid(p), idempotency_key: '' }), 'invalid_length', 'idempotency_key'],
    ['an over-long idempotency_key', (p) => ({ ...valid(p), idempotency_key: 'k'.repeat(256) }), 'invalid_length', 'idempotency_key'],
    ['a control character in idempotency_key', (p) => ({ ...valid(p), idempotency_key: 'a\u0007b' }), 'invalid_format', 'idempotency_key'],
    ['params that is an array', (p) => ({ ...valid(p), params: [1, 2] }), 'params_not_object', 'params'],
    ['params that is a string', (p) => ({ ...valid(p), params: 'x' }), 'params_not_object', 'params'],
    ['params holding a NUL character', (p) => ({ ...valid(p), params: { a: 'x\u0000y' } }), 'invalid_value', 'params'],
    ['params nested too deeply', (p) => ({ ...valid(p), params: nest(40) }), 'invalid_value', 'params'],
    ['targets that is not an array', (p) => ({ ...valid(p), targets: 'web-1' }), 'invalid_type', 'targets'],
    ['an empty target', (p) => ({ ...valid(p), targets: [''] }), 'invalid_length', 'targets'],
  ])('%s: 400 and no run', async (_name, build, code, field) => {
    const project = uniqueProject();
    const response = await api.createRun(requester, build(project));
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.details.violations[0].field).toBe(field);
    expect(await runsIn(project)).toBe(0);
  });

  it.each([
    ['a project_id with a space', 'has space'],
    ['an over-long project_id', 'p'.repeat(129)],
  ])('%s → 400 and no run', async (_name, project) => {
    const response = await api.createRun(requester, valid(project));
    expect(response.status).toBe(400);
    expect(['invalid_format', 'invalid_length']).toContain(response.body.error.code);
  });

  it('an unknown route → 404 route_not_found in the same error body', async () => {
    const response = await api.get(requester, '/api/v1/nope');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'route_not_found', message: expect.any(String) }, request_id: expect.any(String) });
  });

  it('property: random bodies never get a 5xx, and a refused body writes no row', async () => {
    const project = uniqueProject('fuzz');
    const field = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.jsonValue({ maxDepth: 3 }),
      fc.constant(project),
    );
    const body = fc.record(
      {
        project_id: fc.oneof(fc.constant(project), field),
        idempotency_key: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), field),
        action: fc.oneof(fc.constantFrom('deploy', 'restart'), field),
        params: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), field),
        targets: fc.oneof(fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }), field),
        extra: field,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (candidate) => {
        const before = await runsIn(project);
        const response = await api.createRun(requester, candidate);
        expect(response.status).toBeLessThan(500);
        expect(response.body.error?.code ?? 'none').not.toBe('internal_error');
        if (response.status >= 400) {
          expect(typeof response.body.error.code).toBe('string');
          expect(await runsIn(project)).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
  });
});

function nest(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 0; level < depth; level++) value = { child: value };
  return value;
}
