import { uniqueProject, useTestApi } from '../support/api-client';

describe('POST /api/v1/execution/run (Phase-1 contract)', () => {
  const { api, pool } = useTestApi();
  let requester: string;

  beforeAll(async () => {
    requester = (await api.mintKey({ roles: ['requester'] })).key;
  });

  it('creates a run that starts BLOCKED / approval_pending with a pending approval', async () => {
    const project = uniqueProject();
    const response = await api.createRun(requester, {
      project_id: project,
      idempotency_key: 'k1',
      action: 'deploy',
      params: { image: 'web:1' },
      targets: ['b', 'a', 'b'],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      project_id: project,
      idempotency_key: 'k1',
      action: 'deploy',
      params: { image: 'web:1' },
      targets: ['a', 'b'],
      status: 'BLOCKED',
      blocked_reason: 'approval_pending',
      dedup_hit: false,
      approval: { status: 'pending' },
    });
    expect(response.body.execution_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.approval.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof response.body.requested_by).toBe('string');
    expect(Date.parse(response.body.created_at)).not.toBeNaN();
    expect(Date.parse(response.body.updated_at)).not.toBeNaN();
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('returns the same run with dedup_hit for a repeat, whatever the key and target order', async () => {
    const project = uniqueProject();
    const first = await api.createRun(requester, {
      project_id: project,
      idempotency_key: 'k',
      action: 'deploy',
      params: { a: 1, b: { c: 2, d: 3 } },
      targets: ['x', 'y'],
    });
    const repeat = await api.createRun(requester, {
      targets: ['y', 'x', 'x'],
      params: { b: { d: 3, c: 2 }, a: 1 },
      action: 'deploy',
      idempotency_key: 'k',
      project_id: project,
    });
    expect(first.status).toBe(201);
    expect(repeat.status).toBe(200);
    expect(repeat.body.dedup_hit).toBe(true);
    expect(repeat.body.execution_id).toBe(first.body.execution_id);
    expect(repeat.body.fingerprint).toBe(first.body.fingerprint);
    const events = await api.get(requester, `/api/v1/execution/run/${first.body.execution_id}/events`);
    expect(events.body.events.map((event: { type: string }) => event.type)).toEqual(['run.created', 'approval.requested', 'run.dedup_hit']);
  });

  it('refuses the same key with a different payload (409 idempotency_conflict) and audits it', async () => {
    const project = uniqueProject();
    const first = await api.createRun(requester, { project_id: project, idempotency_key: 'k', action: 'deploy', params: { v: 1 } });
    const conflict = await api.createRun(requester, { project_id: project, idempotency_key: 'k', action: 'deploy', params: { v: 2 } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    expect(conflict.body.error.details.execution_id).toBe(first.body.execution_id);
    expect(conflict.body.request_id).toBe(conflict.headers['x-request-id']);
    const { rows } = await pool.query(`SELECT event_type, request_id FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [
      first.body.execution_id,
    ]);
    expect(rows.map((row) => row.event_type)).toEqual(['run.created', 'approval.requested', 'run.idempotency_conflict']);
    expect(rows[2].request_id).toBe(conflict.body.request_id);
    const runs = await pool.query(`SELECT params FROM execution_runs WHERE project_id = $1`, [project]);
    expect(runs.rows).toEqual([{ params: { v: 1 } }]);
  });

  it('scopes keys by project: the same idempotency key in two projects makes two runs', async () => {
    const a = await api.createRun(requester, { project_id: uniqueProject(), idempotency_key: 'same', action: 'deploy' });
    const b = await api.createRun(requester, { project_id: uniqueProject(), idempotency_key: 'same', action: 'deploy' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.execution_id).not.toBe(b.body.execution_id);
  });

  it('accepts the Idempotency-Key header in place of the body field, and refuses the two when they differ', async () => {
    const project = uniqueProject();
    const withHeader = (body: Record<string, unknown>) =>
      api.http.post('/api/v1/execution/run').set('Authorization', `Bearer ${requester}`).set('Idempotency-Key', 'hk').send(body);
    const viaHeader = await withHeader({ project_id: project, action: 'deploy' });
    expect(viaHeader.status).toBe(201);
    expect(viaHeader.body.idempotency_key).toBe('hk');
    const same = await withHeader({ project_id: project, action: 'deploy', idempotency_key: 'hk' });
    expect(same.status).toBe(200);
    const differ = await withHeader({ project_id: project, action: 'deploy', idempotency_key: 'other' });
    expect(differ.status).toBe(400);
    expect(differ.body.error.code).toBe('idempotency_key_mismatch');
    const missing = await api.createRun(requester, { project_id: project, action: 'deploy' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('idempotency_key_missing');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM execution_runs WHERE project_id = $1`, [project]);
    expect(rows[0].n).toBe(1);
  });

  it('reads a run by id and by key, 404 for an unknown one and 400 for a malformed id', async () => {
    const project = uniqueProject();
    const created = await api.createRun(requester, {
      project_id: project,
      idempotency_key: 'read-me',
      action: 'service.restart',
      targets: ['db-1'],
    });
    const byId = await api.get(requester, `/api/v1/execution/run/${created.body.execution_id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({
      execution_id: created.body.execution_id,
      status: 'BLOCKED',
      approval: { id: created.body.approval.id, status: 'pending' },
    });
    expect(byId.body).not.toHaveProperty('dedup_hit');
    const byKey = await api.get(requester, `/api/v1/execution/run/by_key?project_id=${project}&idempotency_key=read-me`);
    expect(byKey.status).toBe(200);
    expect(byKey.body.execution_id).toBe(created.body.execution_id);
    const unknown = await api.get(requester, '/api/v1/execution/run/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('execution_not_found');
    const unknownKey = await api.get(requester, `/api/v1/execution/run/by_key?project_id=${project}&idempotency_key=nope`);
    expect(unknownKey.status).toBe(404);
    expect(unknownKey.body.error.code).toBe('execution_not_found');
    const malformed = await api.get(requester, '/api/v1/execution/run/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_execution_id');
    const missingQuery = await api.get(requester, `/api/v1/execution/run/by_key?project_id=${project}`);
    expect(missingQuery.status).toBe(400);
    expect(missingQuery.body.error.code).toBe('missing_field');
  });

  it('makes exactly one run from fifty concurrent identical requests', async () => {
    const project = uniqueProject();
    const body = { project_id: project, idempotency_key: 'burst', action: 'deploy', params: { n: 1 }, targets: ['t1', 't2'] };
    const responses = await Promise.all(Array.from({ length: 50 }, () => api.createRun(requester, body)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(49);
    expect(new Set(responses.map((response) => response.body.execution_id)).size).toBe(1);
    const runs = await pool.query(`SELECT id FROM execution_runs WHERE project_id = $1`, [project]);
    expect(runs.rowCount).toBe(1);
    const approvals = await pool.query(`SELECT count(*)::int AS n FROM approvals WHERE execution_run_id = $1`, [runs.rows[0].id]);
    expect(approvals.rows[0].n).toBe(1);
  });

  it('lets exactly one of several concurrent different payloads under one key win; the rest get 409', async () => {
    const project = uniqueProject();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        api.createRun(requester, { project_id: project, idempotency_key: 'race', action: 'deploy', params: { variant: index } }),
      ),
    );
    const created = responses.filter((response) => response.status === 201);
    const conflicts = responses.filter((response) => response.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(9);
    for (const conflict of conflicts) expect(conflict.body.error.code).toBe('idempotency_conflict');
    const runs = await pool.query(`SELECT params FROM execution_runs WHERE project_id = $1`, [project]);
    expect(runs.rows).toEqual([{ params: created[0].body.params }]);
  });
});
