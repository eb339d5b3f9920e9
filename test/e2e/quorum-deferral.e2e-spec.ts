import { uniqueProject, useTestApi } from '../support/api-client';

type Key = { id: string; key: string };

describe('quorum, separation of duties, deferral', () => {
  const { api, pool } = useTestApi();
  let requester: Key;
  let approvers: Key[];

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approvers = await Promise.all([0, 1, 2].map(() => api.mintKey({ roles: ['approver'] })));
  });

  /** deploy.production: level 3, quorum 2, approvers only. */
  const productionRun = async (): Promise<string> => {
    const response = await api.createRun(requester.key, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'deploy.production',
      targets: ['prod-web-1'],
    });
    expect(response.status).toBe(201);
    return response.body.execution_id;
  };
  const countEvents = async (id: string, type: string): Promise<number> =>
    (await pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE execution_run_id = $1 AND event_type = $2`, [id, type])).rows[0].n;

  it('needs two distinct approvers; the run shows the votes so far and how many are still needed', async () => {
    const id = await productionRun();
    const first = await api.decide(approvers[0].key, id, 'approve', { reason: 'lgtm' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'BLOCKED',
      approval: {
        status: 'pending',
        approvals_received: 1,
        approvals_needed: 1,
        votes: [{ principal_id: approvers[0].id, decision: 'approve', reason: 'lgtm' }],
      },
    });
    const again = await api.decide(approvers[0].key, id, 'approve');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_voted');
    const second = await api.decide(approvers[1].key, id, 'approve');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      status: 'RUN',
      approval: { status: 'approved', approvals_received: 2, approvals_needed: 0, decided_by: approvers[1].id },
    });
  });

  it('any one rejection vetoes, even after an approving vote', async () => {
    const id = await productionRun();
    await api.decide(approvers[0].key, id, 'approve');
    const veto = await api.decide(approvers[1].key, id, 'reject', { reason: 'not in the change window' });
    expect(veto.status).toBe(200);
    expect(veto.body).toMatchObject({ status: 'REJECTED', approval: { status: 'rejected', reason: 'not in the change window' } });
    expect((await api.decide(approvers[2].key, id, 'approve')).status).toBe(409);
  });

  it('a quorum of 2 reached by two concurrent votes makes exactly one transition', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await productionRun();
      await api.decide(approvers[0].key, id, 'approve');
      const [a, b] = await Promise.all([api.decide(approvers[1].key, id, 'approve'), api.decide(approvers[2].key, id, 'approve')]);
      const statuses = [a.status, b.status].sort();
      // The first closes the lane; the second finds it approved (409) — never two transitions.
      expect(statuses).toEqual([200, 409]);
      expect(await countEvents(id, 'approval.approved')).toBe(1);
      expect(await countEvents(id, 'run.status_changed')).toBe(1);
      const votes = await pool.query(`SELECT count(*)::int AS n FROM approval_decisions WHERE execution_run_id = $1`, [id]);
      expect(votes.rows[0].n).toBe(2);
    }
  });

  it('an approver needs a role the action type names (deploy.production: approver, not admin)', async () => {
    const admin = await api.mintKey({ roles: ['admin'] });
    const id = await productionRun();
    const response = await api.decide(admin.key, id, 'approve');
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('forbidden');
  });

  it('the requester never counts: 403 self_approval_forbidden, and the database refuses such a vote too', async () => {
    const both = await api.mintKey({ roles: ['requester', 'approver'] });
    const created = await api.createRun(both.key, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'deploy.production',
      targets: ['prod-db-1'],
    });
    const response = await api.decide(both.key, created.body.execution_id, 'approve');
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('self_approval_forbidden');
    await expect(
      pool.query(`INSERT INTO approval_decisions (approval_id, execution_run_id, principal_id, decision) VALUES ($1, $2, $3, 'approve')`, [
        created.body.approval.id,
        created.body.execution_id,
        both.id,
      ]),
    ).rejects.toThrow(/may not decide this run \(self\)/);
  });

  it('the database refuses to approve a lane below its quorum, and votes are append-only', async () => {
    const id = await productionRun();
    const vote = await api.decide(approvers[0].key, id, 'approve');
    await expect(
      pool.query(`UPDATE approvals SET status = 'approved', decided_by = 'x', decided_at = now() WHERE id = $1`, [vote.body.approval.id]),
    ).rejects.toThrow(/has not reached its quorum/);
    await expect(pool.query(`DELETE FROM approval_decisions WHERE execution_run_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(pool.query(`UPDATE approval_decisions SET decision = 'reject' WHERE execution_run_id = $1`, [id])).rejects.toThrow(
      /append-only/,
    );
  });

  it('defer needs a reason, keeps the run BLOCKED / approval_deferred; reopen opens a new pending lane', async () => {
    const id = await productionRun();
    await api.decide(approvers[0].key, id, 'approve');
    const noReason = await api.decide(approvers[1].key, id, 'defer');
    expect(noReason.status).toBe(400);
    // Until a time that has passed: refused, nothing changes (the lane stays pending).
    const past = await api.decide(approvers[1].key, id, 'defer', {
      reason: 'too late',
      until: new Date(Date.now() - 60_000).toISOString(),
    });
    expect([past.status, past.body.error?.code]).toEqual([400, 'defer_until_past']);
    expect((await api.get(approvers[1].key, `/api/v1/execution/run/${id}`)).body.approval).toMatchObject({
      status: 'pending',
      approvals_received: 1,
    });
    // A week ahead: the worker would reopen a deferral whose `until` has passed.
    const until = new Date(Date.now() + 7 * 86400_000).toISOString();
    const deferred = await api.decide(approvers[1].key, id, 'defer', { reason: 'wait for the freeze to end', until });
    expect(deferred.status).toBe(200);
    expect(deferred.body).toMatchObject({
      status: 'BLOCKED',
      blocked_reason: 'approval_deferred',
      approval: { lane: 1, status: 'deferred', reason: 'wait for the freeze to end', deferred_until: until },
    });
    const voteOnDeferred = await api.decide(approvers[2].key, id, 'approve');
    expect(voteOnDeferred.status).toBe(409);
    expect(voteOnDeferred.body.error.code).toBe('approval_already_decided');

    const reopened = await api.http
      .post(`/approvals/${id}/reopen`)
      .set('Authorization', `Bearer ${approvers[2].key}`)
      .send({ reason: 'freeze over' });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({
      status: 'BLOCKED',
      blocked_reason: 'approval_pending',
      approval: { lane: 2, status: 'pending', approvals_received: 0, approvals_needed: 2 },
    });
    expect(reopened.body.approval.id).not.toBe(deferred.body.approval.id);
    const reopenAgain = await api.http.post(`/approvals/${id}/reopen`).set('Authorization', `Bearer ${approvers[2].key}`).send({});
    expect(reopenAgain.status).toBe(409);
    expect(reopenAgain.body.error.code).toBe('approval_not_deferred');

    // The earlier vote belonged to lane 1; lane 2 needs its own two votes.
    await api.decide(approvers[0].key, id, 'approve');
    const done = await api.decide(approvers[1].key, id, 'approve');
    expect(done.body).toMatchObject({ status: 'RUN', approval: { lane: 2, status: 'approved' } });
    const lanes = await pool.query(`SELECT lane, status FROM approvals WHERE execution_run_id = $1 ORDER BY lane`, [id]);
    expect(lanes.rows).toEqual([
      { lane: 1, status: 'deferred' },
      { lane: 2, status: 'approved' },
    ]);
  });

  it('a run deferred until a time can be cancelled: the deferred lane is closed invalidated (found by the fault campaign: it was a 500)', async () => {
    const id = await productionRun();
    const until = new Date(Date.now() + 7 * 86400_000).toISOString();
    expect((await api.decide(approvers[0].key, id, 'defer', { reason: 'not this week', until })).status).toBe(200);
    const cancelled = await api.http
      .post(`/api/v1/execution/run/${id}/cancel`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ reason: 'no longer needed' });
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'CANCELLED']);
    const lanes = await pool.query(`SELECT lane, status, deferred_until FROM approvals WHERE execution_run_id = $1 ORDER BY lane`, [id]);
    expect(lanes.rows).toEqual([{ lane: 1, status: 'invalidated', deferred_until: null }]);
    expect(await countEvents(id, 'approval.invalidated')).toBe(1);
  });
});
