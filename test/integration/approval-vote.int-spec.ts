import { INestApplicationContext } from '@nestjs/common';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { CommandContext } from '@lib/common';
import { RunRequestService } from '@lib/orchestration';
import { Principal, Role } from '@lib/identity';
import { ApprovalVoteService } from '@lib/approval';
import { openAppContext } from '../support/app-context';
import { openTestPool } from '../support/db';
import { servicePrincipal } from '../support/principals';

describe('ApprovalVoteService on PostgreSQL', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let runs: RunRequestService;
  let decisions: ApprovalVoteService;
  const requester = Principal.of(randomUUID(), 'requester', [Role.Requester], ['*']);
  let approver: Principal;
  const ctx = (principal: Principal): CommandContext => principal.context(`req-${randomUUID()}`);

  beforeAll(async () => {
    app = await openAppContext();
    pool = openTestPool();
    runs = app.get(RunRequestService);
    decisions = app.get(ApprovalVoteService);
    approver = await servicePrincipal(app, 'approver', [Role.Approver]);
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
  });

  const newRun = async () =>
    runs.request(
      requester,
      { projectId: `p-${randomUUID()}`, idempotencyKey: 'k', action: 'deploy', params: {}, targets: [] },
      ctx(requester),
    );

  it('rolls the transition back when its audit insert fails', async () => {
    const { run } = await newRun();
    // As the table owner: make the audit insert for this one run fail, inside the decision's transaction.
    const trigger = `fail_audit_${run.id.replace(/-/g, '')}`;
    await pool.query(`
      CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.execution_run_id = '${run.id}' AND NEW.event_type = 'approval.approved' THEN
          RAISE EXCEPTION 'audit insert refused by the test';
        END IF;
        RETURN NEW;
      END $$`);
    await pool.query(`CREATE TRIGGER ${trigger} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${trigger}()`);
    try {
      await expect(
        decisions.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver)),
      ).rejects.toThrow(/audit insert refused/);
    } finally {
      await pool.query(`DROP TRIGGER ${trigger} ON audit_events`);
      await pool.query(`DROP FUNCTION ${trigger}()`);
    }
    const { rows } = await pool.query(
      `SELECT r.status AS run, r.blocked_reason, a.status AS approval, a.decided_by
       FROM execution_runs r JOIN approvals a ON a.execution_run_id = r.id WHERE r.id = $1`,
      [run.id],
    );
    expect(rows).toEqual([{ run: 'BLOCKED', blocked_reason: 'approval_pending', approval: 'pending', decided_by: null }]);
    const events = await pool.query(`SELECT event_type FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [run.id]);
    expect(events.rows.map((row) => row.event_type)).toEqual(['run.created', 'approval.requested']);

    // With the fault gone the same decision goes through.
    const { view } = await decisions.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver));
    expect(view.run.status).toBe('RUN');
  });

  it('rolls the run back when the create transaction cannot write its audit event', async () => {
    const project = `p-${randomUUID()}`;
    const trigger = `fail_create_${project.replace(/-/g, '_').slice(2, 30)}`;
    await pool.query(`
      CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.project_id = '${project}' THEN RAISE EXCEPTION 'audit insert refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await pool.query(`CREATE TRIGGER ${trigger} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${trigger}()`);
    try {
      await expect(
        runs.request(requester, { projectId: project, idempotencyKey: 'k', action: 'deploy', params: {}, targets: [] }, ctx(requester)),
      ).rejects.toThrow(/audit insert refused/);
    } finally {
      await pool.query(`DROP TRIGGER ${trigger} ON audit_events`);
      await pool.query(`DROP FUNCTION ${trigger}()`);
    }
    expect((await pool.query(`SELECT 1 FROM execution_runs WHERE project_id = $1`, [project])).rowCount).toBe(0);
  });

  it('many concurrent approvals of one run: exactly one transition, the rest conflict', async () => {
    const { run } = await newRun();
    const approvers = await Promise.all(Array.from({ length: 8 }, (_, index) => servicePrincipal(app, `a${index}`, [Role.Approver])));
    const results = await Promise.allSettled(
      approvers.map((principal) =>
        decisions.vote(principal, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(principal)),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const codes = results
      .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
      .map((result) => result.reason.code);
    expect(codes).toEqual(Array(7).fill('approval_already_decided'));
    const events = await pool.query(
      `SELECT event_type, count(*)::int AS n FROM audit_events WHERE execution_run_id = $1 GROUP BY 1 ORDER BY 1`,
      [run.id],
    );
    expect(events.rows).toEqual([
      { event_type: 'approval.approved', n: 1 },
      { event_type: 'approval.decision_conflict', n: 7 },
      { event_type: 'approval.requested', n: 1 },
      { event_type: 'approval.vote_cast', n: 1 },
      { event_type: 'run.created', n: 1 },
      { event_type: 'run.status_changed', n: 1 },
    ]);
  });
});
