import { uniqueProject, useTestApi } from '../support/api-client';

describe('action types are policy; fail closed', () => {
  const { api, pool } = useTestApi();
  let requester: string;

  beforeAll(async () => {
    requester = (await api.mintKey({ roles: ['requester'] })).key;
  });

  it('lists the action types of the loaded policy with its hash', async () => {
    const response = await api.get(requester, '/api/v1/governance/action-types');
    expect(response.status).toBe(200);
    expect(response.body.policy_hash).toMatch(/^[0-9a-f]{64}$/);
    const build = response.body.action_types.find((type: { code: string }) => type.code === 'governance.authorize_build_step');
    expect(build).toMatchObject({
      approval_level: 2,
      required_approvals: 2,
      mints_grant: true,
      allowed_scopes: { namespaces: ['DRYRUN-NS'], targets: ['DOT_C1_VOCAB_BUILD'] },
    });
    const { rows } = await pool.query(`SELECT code, policy_hash FROM action_types WHERE retired_at IS NULL ORDER BY code`);
    expect(rows.map((row) => row.code)).toEqual(response.body.action_types.map((type: { code: string }) => type.code).sort());
    expect(new Set(rows.map((row) => row.policy_hash))).toEqual(new Set([response.body.policy_hash]));
  });

  it('refuses an unknown action with 422 unknown_action, audited, and writes no run', async () => {
    const project = uniqueProject();
    const response = await api.createRun(requester, {
      project_id: project,
      idempotency_key: 'k',
      action: 'format.disk',
      targets: ['db-1'],
    });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('unknown_action');
    expect((await pool.query(`SELECT 1 FROM execution_runs WHERE project_id = $1`, [project])).rowCount).toBe(0);
    const audit = await pool.query(`SELECT data FROM audit_events WHERE project_id = $1 AND event_type = 'run.refused_by_policy'`, [
      project,
    ]);
    expect(audit.rows).toEqual([{ data: expect.objectContaining({ code: 'unknown_action', action: 'format.disk' }) }]);
  });

  it('refuses a target or namespace outside the allowed scope with 422 scope_not_allowed, audited', async () => {
    const project = uniqueProject();
    const target = await api.createRun(requester, {
      project_id: project,
      idempotency_key: 'k1',
      action: 'service.restart',
      targets: ['db-1', 'mainframe'],
    });
    expect(target.status).toBe(422);
    expect(target.body.error).toMatchObject({ code: 'scope_not_allowed', details: { field: 'targets', value: 'mainframe' } });
    const namespace = await api.createRun(requester, {
      project_id: project,
      idempotency_key: 'k2',
      action: 'governance.authorize_build_step',
      params: { namespace: 'PROD-NS', rollback_plan_ref: 'R' },
      targets: ['DOT_C1_VOCAB_BUILD'],
    });
    expect(namespace.status).toBe(422);
    expect(namespace.body.error.details.field).toBe('params.namespace');
    expect((await pool.query(`SELECT 1 FROM execution_runs WHERE project_id = $1`, [project])).rowCount).toBe(0);
    const audit = await pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE project_id = $1 AND event_type = 'run.refused_by_policy'`,
      [project],
    );
    expect(audit.rows[0].n).toBe(2);
  });

  it('level 0 is approved at once by the system, through the FSM, audited as approval.auto_approved', async () => {
    // ops.noop is level 0 but runs in the background, so the run waits, approved, for a worker.
    const response = await api.createRun(requester, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'ops.noop',
      targets: ['web-1'],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'RUN',
      blocked_reason: null,
      approval_level: 0,
      approval: { status: 'approved', decided_by: 'system', required_approvals: 0 },
    });
    const events = await api.get(requester, `/api/v1/execution/run/${response.body.execution_id}/events`);
    expect(
      events.body.events.map((event: { type: string; actor: string }) => `${event.type}:${event.actor === 'system' ? 'system' : 'key'}`),
    ).toEqual(['run.created:key', 'approval.requested:key', 'approval.auto_approved:system', 'run.status_changed:system']);
  });

  it('an immediate action (read-only, level 0) runs inside the create request and returns its result', async () => {
    const response = await api.createRun(requester, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'inventory.read',
      targets: ['web-2', 'web-1'],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'SUCCEEDED',
      approval: { status: 'approved', decided_by: 'system' },
      execution: { attempt: 1, result: { steps: 1 } },
    });
    const events = await api.get(requester, `/api/v1/execution/run/${response.body.execution_id}/events`);
    expect(events.body.events.map((event: { type: string }) => event.type)).toEqual(
      expect.arrayContaining(['run.created', 'approval.auto_approved', 'run.claimed', 'step.started', 'step.finished']),
    );
    expect(events.body.events.slice(-2)).toMatchObject([
      { type: 'run.status_changed', data: { from: 'RUNNING', to: 'SUCCEEDED' } },
      { type: 'approval.executed' },
    ]);
  });

  it('records the approval level, the plan hash and the policy hash on the run and its approval', async () => {
    const policy = (await api.get(requester, '/api/v1/governance/action-types')).body.policy_hash;
    const response = await api.createRun(requester, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'deploy.production',
      targets: ['prod-web-1'],
    });
    expect(response.body).toMatchObject({
      approval_level: 3,
      plan_hash: response.body.fingerprint,
      policy_hash: policy,
      approval: {
        lane: 1,
        plan_hash: response.body.fingerprint,
        policy_hash: policy,
        required_approvals: 2,
        approvals_received: 0,
        approvals_needed: 2,
      },
    });
  });
});
