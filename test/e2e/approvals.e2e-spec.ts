import { uniqueProject, useTestApi } from '../support/api-client';

describe('POST /approvals/{execution_id}/approve|reject', () => {
  const { api, pool } = useTestApi();
  let requester: { id: string; key: string };
  let approver: { id: string; key: string };
  let secondApprover: { id: string; key: string };

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
    secondApprover = await api.mintKey({ roles: ['approver'] });
  });

  const newRun = async (): Promise<string> => {
    const response = await api.createRun(requester.key, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'deploy',
      targets: ['web-1'],
    });
    expect(response.status).toBe(201);
    return response.body.execution_id;
  };

  const eventTypes = async (id: string): Promise<string[]> => {
    const response = await api.get(requester.key, `/api/v1/execution/run/${id}/events`);
    expect(response.status).toBe(200);
    return response.body.events.map((event: { type: string }) => event.type);
  };

  it('approve moves the run to RUN and the approval to approved, with decider and time; events are oldest first', async () => {
    const id = await newRun();
    const response = await api.decide(approver.key, id, 'approve', { reason: 'looks good' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      execution_id: id,
      status: 'RUN',
      blocked_reason: null,
      approval: { status: 'approved', decided_by: approver.id, reason: 'looks good' },
    });
    expect(Date.parse(response.body.approval.decided_at)).not.toBeNaN();
    const read = await api.get(requester.key, `/api/v1/execution/run/${id}`);
    expect(read.body).toMatchObject({ status: 'RUN', approval: { status: 'approved', decided_by: approver.id } });
    const events = await api.get(requester.key, `/api/v1/execution/run/${id}/events`);
    expect(events.body.events.map((event: { type: string }) => event.type)).toEqual([
      'run.created',
      'approval.requested',
      'approval.vote_cast',
      'approval.approved',
      'run.status_changed',
    ]);
    const approved = events.body.events[3];
    expect(approved).toMatchObject({
      actor: approver.id,
      execution_id: id,
      project_id: read.body.project_id,
      data: { reason: 'looks good' },
    });
    expect(approved.request_id).toBe(response.headers['x-request-id']);
    const ids = events.body.events.map((event: { id: string }) => BigInt(event.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
  });

  it('approve works without a body at level 1; at level 2 it must name the plan it saw', async () => {
    const levelOne = (
      await api.createRun(requester.key, {
        project_id: uniqueProject(),
        idempotency_key: 'k',
        action: 'service.restart',
        targets: ['web-1'],
      })
    ).body.execution_id;
    const response = await api.http.post(`/approvals/${levelOne}/approve`).set('Authorization', `Bearer ${approver.key}`);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('RUN');
    const levelTwo = await newRun();
    const unnamed = await api.http.post(`/approvals/${levelTwo}/approve`).set('Authorization', `Bearer ${approver.key}`);
    expect([unnamed.status, unnamed.body.error.code]).toEqual([400, 'plan_hash_required']);
    expect((await api.get(requester.key, `/api/v1/execution/run/${levelTwo}`)).body).toMatchObject({
      status: 'BLOCKED',
      approval: { status: 'pending', votes: [] },
    });
  });

  it('reject needs a reason (400) and then moves the run to REJECTED', async () => {
    const id = await newRun();
    for (const body of [{}, { reason: '' }, { reason: '   ' }]) {
      const refused = await api.decide(approver.key, id, 'reject', body);
      expect(refused.status).toBe(400);
      expect(['missing_field', 'invalid_length', 'invalid_format']).toContain(refused.body.error.code);
    }
    expect((await api.get(requester.key, `/api/v1/execution/run/${id}`)).body.status).toBe('BLOCKED');
    const rejected = await api.decide(approver.key, id, 'reject', { reason: 'wrong image' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'REJECTED',
      blocked_reason: null,
      approval: { status: 'rejected', reason: 'wrong image', decided_by: approver.id },
    });
  });

  it('a decision on an approval that is no longer pending is 409 approval_already_decided, audited', async () => {
    const id = await newRun();
    expect((await api.decide(approver.key, id, 'approve')).status).toBe(200);
    const again = await api.decide(secondApprover.key, id, 'reject', { reason: 'too late' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('approval_already_decided');
    expect((await api.get(requester.key, `/api/v1/execution/run/${id}`)).body.status).toBe('RUN');
    expect(await eventTypes(id)).toEqual([
      'run.created',
      'approval.requested',
      'approval.vote_cast',
      'approval.approved',
      'run.status_changed',
      'approval.decision_conflict',
    ]);
  });

  it('cancelling a run closes its pending approval (invalidated, by the system); a later vote is 409 approval_already_decided', async () => {
    const id = await newRun();
    const cancel = await api.http
      .post(`/api/v1/execution/run/${id}/cancel`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ reason: 'not needed' });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CANCELLED');
    const read = await api.get(requester.key, `/api/v1/execution/run/${id}`);
    expect(read.body.approval).toMatchObject({ status: 'invalidated', decided_by: 'system' });
    const vote = await api.decide(approver.key, id, 'approve');
    expect(vote.status).toBe(409);
    expect(vote.body.error).toMatchObject({ code: 'approval_already_decided', details: { approval_status: 'invalidated' } });
    expect((await eventTypes(id)).slice(-3)).toEqual(['run.status_changed', 'approval.invalidated', 'approval.decision_conflict']);
  });

  it('the requester may not decide its own run: 403 self_approval_forbidden, audited, nothing changes', async () => {
    const both = await api.mintKey({ roles: ['requester', 'approver'] });
    const created = await api.createRun(both.key, { project_id: uniqueProject(), idempotency_key: 'self', action: 'deploy' });
    const response = await api.decide(both.key, created.body.execution_id, 'approve');
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('self_approval_forbidden');
    const read = await api.get(both.key, `/api/v1/execution/run/${created.body.execution_id}`);
    expect(read.body).toMatchObject({ status: 'BLOCKED', approval: { status: 'pending' } });
    expect(await eventTypes(created.body.execution_id)).toEqual(['run.created', 'approval.requested', 'approval.self_approval_denied']);
    const { rows } = await pool.query(
      `SELECT actor FROM audit_events WHERE execution_run_id = $1 AND event_type = 'approval.self_approval_denied'`,
      [created.body.execution_id],
    );
    expect(rows).toEqual([{ actor: both.id }]);
  });

  it('approve racing reject: exactly one wins, the other gets 409', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await newRun();
      const [approve, reject] = await Promise.all([
        api.decide(approver.key, id, 'approve'),
        api.decide(secondApprover.key, id, 'reject', { reason: 'no' }),
      ]);
      const statuses = [approve.status, reject.status].sort();
      expect(statuses).toEqual([200, 409]);
      const winner = approve.status === 200 ? 'RUN' : 'REJECTED';
      const { rows } = await pool.query(
        `SELECT r.status AS run, a.status AS approval FROM execution_runs r JOIN approvals a ON a.execution_run_id = r.id WHERE r.id = $1`,
        [id],
      );
      expect(rows).toEqual([{ run: winner, approval: winner === 'RUN' ? 'approved' : 'rejected' }]);
      const decided = await pool.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE execution_run_id = $1 AND event_type IN ('approval.approved', 'approval.rejected')`,
        [id],
      );
      expect(decided.rows[0].n).toBe(1);
    }
  });

  it('400 for a malformed id and 404 for an unknown run', async () => {
    const malformed = await api.decide(approver.key, 'abc', 'approve');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_execution_id');
    const unknown = await api.decide(approver.key, '00000000-0000-4000-8000-000000000000', 'approve');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('execution_not_found');
  });
});
