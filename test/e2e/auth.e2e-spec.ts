import { uniqueProject, useTestApi } from '../support/api-client';

describe('who may do what', () => {
  const { api, pool } = useTestApi();

  const body = (project = uniqueProject()) => ({ project_id: project, idempotency_key: 'k', action: 'deploy' });

  it('no key, a malformed header or an unknown key: 401 unauthenticated', async () => {
    const none = await api.http.post('/api/v1/execution/run').send(body());
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthenticated');
    const basic = await api.http.get('/api/v1/execution/run/00000000-0000-4000-8000-000000000000').set('Authorization', 'Basic abc');
    expect(basic.status).toBe(401);
    const unknown = await api.createRun('cpk_not-a-real-key', body());
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('unauthenticated');
  });

  it('a role the key lacks: 403 forbidden', async () => {
    const approver = await api.mintKey({ roles: ['approver'] });
    const project = uniqueProject();
    const create = await api.createRun(approver.key, body(project));
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden');
    const requester = await api.mintKey({ roles: ['requester'] });
    const run = await api.createRun(requester.key, body(project));
    const decide = await api.decide(requester.key, run.body.execution_id, 'approve');
    expect(decide.status).toBe(403);
    expect(decide.body.error.code).toBe('forbidden');
    const mint = await api.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ name: 'x', roles: ['admin'], project_ids: ['*'] });
    expect(mint.status).toBe(403);
  });

  it('a project the key is not scoped to: 403 forbidden where the caller names it; an id in it answers like an unknown id (404)', async () => {
    const mine = uniqueProject();
    const other = uniqueProject();
    const scoped = await api.mintKey({ roles: ['requester', 'approver'], projectIds: [mine] });
    const allowed = await api.createRun(scoped.key, body(mine));
    expect(allowed.status).toBe(201);
    const refused = await api.createRun(scoped.key, body(other));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await pool.query(`SELECT 1 FROM execution_runs WHERE project_id = $1`, [other])).rowCount).toBe(0);

    const outsider = await api.mintKey({ roles: ['requester'] });
    const foreign = await api.createRun(outsider.key, body(other));
    const unknownId = '00000000-0000-4000-8000-000000000000';
    for (const id of [foreign.body.execution_id, unknownId]) {
      const read = await api.get(scoped.key, `/api/v1/execution/run/${id}`);
      expect([read.status, read.body.error.code]).toEqual([404, 'execution_not_found']);
      const events = await api.get(scoped.key, `/api/v1/execution/run/${id}/events`);
      expect([events.status, events.body.error.code]).toEqual([404, 'execution_not_found']);
      const decide = await api.decide(scoped.key, id, 'approve');
      expect([decide.status, decide.body.error.code]).toEqual([404, 'execution_not_found']);
      const cancel = await api.http
        .post(`/api/v1/execution/run/${id}/cancel`)
        .set('Authorization', `Bearer ${scoped.key}`)
        .send({ reason: 'x' });
      expect([cancel.status, cancel.body.error.code]).toEqual([404, 'execution_not_found']);
      const plan = await api.http.put(`/api/v1/execution/run/${id}/plan`).set('Authorization', `Bearer ${scoped.key}`).send({ params: {} });
      expect([plan.status, plan.body.error.code]).toEqual([404, 'execution_not_found']);
      // The bodies say nothing about which project the run is in.
      expect(JSON.stringify(read.body)).not.toContain(other);
    }
    expect((await api.get(scoped.key, `/api/v1/execution/run/by_key?project_id=${other}&idempotency_key=k`)).status).toBe(403);
    expect((await api.get(outsider.key, `/api/v1/execution/run/${foreign.body.execution_id}`)).body.status).toBe('BLOCKED');
  });

  it('an admin mints keys; the key is shown once and stored only as a hash', async () => {
    const project = uniqueProject();
    const response = await api.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${api.adminKey}`)
      .send({ name: 'deploy-bot', roles: ['requester', 'requester'], project_ids: [project] });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'deploy-bot', roles: ['requester'], project_ids: [project] });
    expect(response.body.key).toMatch(/^cpk_/);
    const { rows } = await pool.query(`SELECT * FROM api_keys WHERE id = $1`, [response.body.id]);
    expect(JSON.stringify(rows[0])).not.toContain(response.body.key);
    const audit = await pool.query(`SELECT data FROM audit_events WHERE event_type = 'api_key.created' AND data->>'api_key_id' = $1`, [
      response.body.id,
    ]);
    expect(audit.rowCount).toBe(1);
    expect(JSON.stringify(audit.rows[0])).not.toContain(response.body.key);
    expect((await api.createRun(response.body.key, body(project))).status).toBe(201);
  });

  it('a key cannot be minted with a scope wider than the minting key', async () => {
    const project = uniqueProject();
    const scopedAdmin = await api.mintKey({ roles: ['admin'], projectIds: [project] });
    const wider = await api.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${scopedAdmin.key}`)
      .send({ name: 'x', roles: ['requester'], project_ids: ['*'] });
    expect(wider.status).toBe(403);
    const narrower = await api.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${scopedAdmin.key}`)
      .send({ name: 'x', roles: ['requester'], project_ids: [project] });
    expect(narrower.status).toBe(201);
  });

  it('minting with bad input: 400 with a code, no key written', async () => {
    const name = `bad-${uniqueProject()}`;
    for (const bad of [
      { name, roles: ['root'], project_ids: ['*'] },
      { name, roles: [], project_ids: ['*'] },
      { name: '', roles: ['requester'], project_ids: ['*'] },
      { name, roles: ['requester'], project_ids: ['bad id'] },
    ]) {
      const response = await api.http.post('/api/v1/api-keys').set('Authorization', `Bearer ${api.adminKey}`).send(bad);
      expect(response.status).toBe(400);
      expect(typeof response.body.error.code).toBe('string');
    }
    expect((await pool.query(`SELECT count(*)::int AS n FROM api_keys WHERE name = $1 OR name = ''`, [name])).rows[0].n).toBe(0);
  });
});
