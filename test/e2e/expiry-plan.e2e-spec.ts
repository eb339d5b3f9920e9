import { expireLaneNow } from '../support/db';
import { uniqueProject, useTestApi } from '../support/api-client';

type Key = { id: string; key: string };

describe('expiry fails closed; approvals are bound to the plan', () => {
  const { api, pool } = useTestApi();
  let requester: Key;
  let approver: Key;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
  });

  const deployRun = async (targets = ['web-1']) => {
    const response = await api.createRun(requester.key, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'deploy',
      params: { image: 'web:1' },
      targets,
    });
    expect(response.status).toBe(201);
    return response.body as { execution_id: string; approval: { id: string }; plan_hash: string };
  };
  const putPlan = (key: string, id: string, body: Record<string, unknown>) =>
    api.http.put(`/api/v1/execution/run/${id}/plan`).set('Authorization', `Bearer ${key}`).send(body);

  describe('expiry', () => {
    it('a read that meets an overdue approval expires it first: EXPIRED, never reported as rejected', async () => {
      const run = await deployRun();
      await expireLaneNow(pool, run.execution_id);
      const read = await api.get(requester.key, `/api/v1/execution/run/${run.execution_id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ status: 'EXPIRED', blocked_reason: null, approval: { status: 'expired', decided_by: 'system' } });
      const events = await pool.query(
        `SELECT event_type, actor FROM audit_events WHERE execution_run_id = $1 AND event_type = 'approval.expired'`,
        [run.execution_id],
      );
      expect(events.rows).toEqual([{ event_type: 'approval.expired', actor: 'system' }]);
    });

    it('a decision that meets an overdue approval gets 409 approval_expired, and the expiry is committed', async () => {
      const run = await deployRun();
      await expireLaneNow(pool, run.execution_id);
      const decision = await api.decide(approver.key, run.execution_id, 'approve');
      expect(decision.status).toBe(409);
      expect(decision.body.error.code).toBe('approval_expired');
      const { rows } = await pool.query(
        `SELECT r.status AS run, a.status AS approval FROM execution_runs r JOIN approvals a ON a.execution_run_id = r.id WHERE r.id = $1`,
        [run.execution_id],
      );
      expect(rows).toEqual([{ run: 'EXPIRED', approval: 'expired' }]);
      const votes = await pool.query(`SELECT 1 FROM approval_decisions WHERE execution_run_id = $1`, [run.execution_id]);
      expect(votes.rowCount).toBe(0);
    });

    it('an approved but unused approval past its expiry no longer lets the run through', async () => {
      const run = await deployRun();
      expect((await api.decide(approver.key, run.execution_id, 'approve')).body.status).toBe('RUN');
      await expireLaneNow(pool, run.execution_id);
      const read = await api.get(requester.key, `/api/v1/execution/run/${run.execution_id}`);
      expect(read.body).toMatchObject({ status: 'EXPIRED', approval: { status: 'expired', decided_by: approver.id } });
    });
  });

  describe('plan binding', () => {
    it('a decision is bound to the plan the approver saw: racing a plan change, it never approves the new plan', async () => {
      const outcomes: string[] = [];
      for (let round = 0; round < 12; round++) {
        const run = await deployRun();
        const [vote, change] = await Promise.all([
          api.decide(approver.key, run.execution_id, 'approve', { plan_hash: run.plan_hash }),
          putPlan(requester.key, run.execution_id, { params: { image: `web:${round + 2}` }, targets: ['web-1'] }),
        ]);
        expect(change.status).toBe(200);
        const lanes = (
          await pool.query(`SELECT status, plan_hash FROM approvals WHERE execution_run_id = $1 ORDER BY lane`, [run.execution_id])
        ).rows;
        const now = (await api.get(requester.key, `/api/v1/execution/run/${run.execution_id}`)).body;
        // Whatever the order, the new plan is waiting for a decision of its own.
        expect(now).toMatchObject({ status: 'BLOCKED', blocked_reason: 'approval_pending', plan_hash: change.body.plan_hash });
        expect(lanes.at(-1)).toEqual({ status: 'pending', plan_hash: change.body.plan_hash });
        // No lane was ever approved for a plan the approver did not see.
        expect(lanes.filter((lane) => lane.status !== 'pending' && lane.plan_hash !== run.plan_hash)).toEqual([]);
        if (vote.status === 200) {
          expect(lanes[0]).toEqual({ status: 'invalidated', plan_hash: run.plan_hash });
          outcomes.push('approved-then-invalidated');
        } else {
          expect([vote.status, vote.body.error.code]).toEqual([409, 'plan_changed']);
          outcomes.push('plan_changed');
        }
      }
      expect(outcomes).toHaveLength(12);
    });

    it('the requester, or one who may decide the run, changes the plan (and then does not decide it); nobody else; the same plan again changes nothing', async () => {
      const run = await deployRun(['web-2', 'web-1']);
      const otherRequester = await api.mintKey({ roles: ['requester'] });
      const notMine = await putPlan(otherRequester.key, run.execution_id, { params: { image: 'web:2' } });
      expect([notMine.status, notMine.body.error.code, notMine.body.error.details]).toEqual([
        403,
        'not_requester',
        { reason: 'not_an_approver' },
      ]);
      const same = await putPlan(requester.key, run.execution_id, { params: { image: 'web:1' }, targets: ['web-1', 'web-2'] });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ plan_hash: run.plan_hash, approval: { id: run.approval.id, lane: 1, status: 'pending' } });
      const events = await pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE execution_run_id = $1`, [run.execution_id]);
      expect(events.rows[0].n).toBe(2);
      // An approver edits it: a new lane, opened by the approver, which it does not decide; another approver does.
      const edited = await putPlan(approver.key, run.execution_id, { params: { image: 'web:2' } });
      expect([edited.status, edited.body.approval.lane]).toEqual([200, 2]);
      const lane = await pool.query(`SELECT opened_by FROM approvals WHERE execution_run_id = $1 AND lane = 2`, [run.execution_id]);
      expect(lane.rows[0].opened_by).toBe((await api.get(approver.key, '/api/v1/principals/me')).body.id);
      const own = await api.decide(approver.key, run.execution_id, 'approve', { reason: 'my edit' });
      expect([own.status, own.body.error.details]).toEqual([403, { reason: 'edited_the_plan' }]);
      const second = await api.mintKey({ roles: ['approver'] });
      // A plan someone other than the requester wrote: each decider names the plan it saw, even at level 1.
      const blind = await api.decide(second.key, run.execution_id, 'approve', { reason: 'looks right', plan_hash: undefined });
      expect([blind.status, blind.body.error.code]).toEqual([400, 'plan_hash_required']);
      // Deferred and reopened, the plan is still the editor's: the reopened lane keeps it out.
      const until = new Date(Date.now() + 7 * 86400_000).toISOString();
      expect((await api.decide(second.key, run.execution_id, 'defer', { reason: 'later', until })).status).toBe(200);
      const reopened = await api.http
        .post(`/approvals/${run.execution_id}/reopen`)
        .set('Authorization', `Bearer ${second.key}`)
        .send({ reason: 'now' });
      expect(reopened.status).toBe(200);
      const afterReopen = await api.decide(approver.key, run.execution_id, 'approve', { reason: 'my edit, reopened' });
      expect([afterReopen.status, afterReopen.body.error.details]).toEqual([403, { reason: 'edited_the_plan' }]);
      expect((await api.decide(second.key, run.execution_id, 'approve', { reason: 'looks right' })).status).toBe(200);
    });

    it('a new plan invalidates the pending approval (audited with both hashes) and opens a new lane', async () => {
      const run = await deployRun();
      const changed = await putPlan(requester.key, run.execution_id, { params: { image: 'web:2' }, targets: ['web-1'] });
      expect(changed.status).toBe(200);
      expect(changed.body.plan_hash).not.toBe(run.plan_hash);
      expect(changed.body.fingerprint).toBe(run.plan_hash);
      expect(changed.body).toMatchObject({
        status: 'BLOCKED',
        blocked_reason: 'approval_pending',
        params: { image: 'web:2' },
        approval: { lane: 2, status: 'pending', plan_hash: changed.body.plan_hash },
      });
      const { rows } = await pool.query(
        `SELECT data FROM audit_events WHERE execution_run_id = $1 AND event_type = 'approval.invalidated'`,
        [run.execution_id],
      );
      expect(rows).toEqual([
        {
          data: expect.objectContaining({
            approval_id: run.approval.id,
            was: 'pending',
            old_plan_hash: run.plan_hash,
            new_plan_hash: changed.body.plan_hash,
          }),
        },
      ]);
    });

    it('a new plan after approval invalidates the approval and puts the run back to BLOCKED', async () => {
      const run = await deployRun();
      await api.decide(approver.key, run.execution_id, 'approve');
      const changed = await putPlan(requester.key, run.execution_id, { params: { image: 'web:3' }, targets: ['web-1'] });
      expect(changed.body).toMatchObject({
        status: 'BLOCKED',
        blocked_reason: 'approval_pending',
        approval: { lane: 2, status: 'pending' },
      });
      const lanes = await pool.query(`SELECT lane, status FROM approvals WHERE execution_run_id = $1 ORDER BY lane`, [run.execution_id]);
      expect(lanes.rows).toEqual([
        { lane: 1, status: 'invalidated' },
        { lane: 2, status: 'pending' },
      ]);
      // The database itself refuses RUN for a plan nobody approved.
      await expect(
        pool.query(`UPDATE execution_runs SET status = 'RUN', blocked_reason = NULL WHERE id = $1`, [run.execution_id]),
      ).rejects.toThrow(/current plan/);
      expect((await api.decide(approver.key, run.execution_id, 'approve')).body.status).toBe('RUN');
    });

    it('a plan outside the scope is 422; a decided run cannot change its plan (409 plan_locked)', async () => {
      const restart = await api.createRun(requester.key, {
        project_id: uniqueProject(),
        idempotency_key: 'k',
        action: 'service.restart',
        targets: ['svc-a'],
      });
      const outside = await putPlan(requester.key, restart.body.execution_id, { targets: ['mainframe'] });
      expect(outside.status).toBe(422);
      expect(outside.body.error.code).toBe('scope_not_allowed');
      const run = await deployRun();
      await api.decide(approver.key, run.execution_id, 'reject', { reason: 'no' });
      const locked = await putPlan(requester.key, run.execution_id, { params: { image: 'web:9' } });
      expect(locked.status).toBe(409);
      expect(locked.body.error.code).toBe('plan_locked');
    });
  });
});
