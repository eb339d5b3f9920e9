import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { CommandContext } from '@lib/common';
import { ConfigModule } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { ExecutionRunService, RunCancelService } from '@lib/execution';
import { Principal, Role } from '@lib/identity';
import { PolicyService } from '@lib/policy';
import { ApprovalDeferralService, ApprovalModule, ApprovalVoteService } from '@lib/approval';
import { AuthorizeBuildStepHandler, GrantReconcilerService } from '@lib/grants';
import { OrchestrationModule, RunRequestService } from '@lib/orchestration';
import { SweeperModule, SweeperService } from '@lib/sweeper';
import { asOwnerWithoutTriggers, expireLaneNow, openTestPool } from '../support/db';
import { servicePrincipal } from '../support/principals';

@Module({ imports: [ConfigModule.forRoot(), DatabaseModule.forRoot(), OrchestrationModule, SweeperModule] })
class SweeperTestModule {}

@Module({ imports: [ConfigModule.forRoot(), DatabaseModule.forRoot(), ApprovalModule] })
class ApprovalOnlyModule {}

describe('the worker sweeper on PostgreSQL', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let runs: RunRequestService;
  let votes: ApprovalVoteService;
  let sweeper: SweeperService;
  const requester = Principal.of(randomUUID(), 'requester', [Role.Requester], ['*']);
  let approver: Principal;
  const ctx = (principal: Principal): CommandContext => principal.context(`req-${randomUUID()}`);

  beforeAll(async () => {
    process.env.SWEEP_INTERVAL_MS = '3600000';
    app = await NestFactory.createApplicationContext(SweeperTestModule, { logger: false });
    pool = openTestPool();
    runs = app.get(RunRequestService);
    votes = app.get(ApprovalVoteService);
    sweeper = app.get(SweeperService);
    approver = await servicePrincipal(app, 'approver', [Role.Approver]);
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
  });

  const newRun = async (action = 'deploy', targets = ['web-1'], params: Record<string, unknown> = {}) =>
    (await runs.request(requester, { projectId: `p-${randomUUID()}`, idempotencyKey: 'k', action, params, targets }, ctx(requester))).run;
  const state = async (id: string) =>
    (
      await pool.query(
        `SELECT r.status AS run, a.status AS approval FROM execution_runs r JOIN approvals a ON a.execution_run_id = r.id WHERE r.id = $1 ORDER BY a.lane DESC LIMIT 1`,
        [id],
      )
    ).rows[0];

  it('expires overdue pending lanes in batches, as the system, and leaves the others alone', async () => {
    const overdue = await Promise.all([newRun(), newRun(), newRun()]);
    const fresh = await newRun();
    for (const run of overdue) await expireLaneNow(pool, run.id);
    const result = await sweeper.sweepOnce();
    expect(result.approvalsExpired).toBeGreaterThanOrEqual(3);
    for (const run of overdue) expect(await state(run.id)).toEqual({ run: 'EXPIRED', approval: 'expired' });
    expect(await state(fresh.id)).toEqual({ run: 'BLOCKED', approval: 'pending' });
    const events = await pool.query(`SELECT actor FROM audit_events WHERE execution_run_id = ANY($1) AND event_type = 'approval.expired'`, [
      overdue.map((run) => run.id),
    ]);
    expect(events.rows).toEqual(Array(3).fill({ actor: 'system' }));
  });

  it("a vote on a lane already overdue loses to the expiry: the sweeper and the voter's lazy guard expire it exactly once", async () => {
    for (let round = 0; round < 10; round++) {
      const run = await newRun();
      await expireLaneNow(pool, run.id);
      const [vote] = await Promise.allSettled([
        votes.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver)),
        sweeper.sweepOnce(),
      ]);
      expect(vote.status).toBe('rejected');
      expect((vote as PromiseRejectedResult).reason.code).toBe('approval_expired');
      expect(await state(run.id)).toEqual({ run: 'EXPIRED', approval: 'expired' });
      const counts = await pool.query(
        `SELECT count(*) FILTER (WHERE event_type = 'approval.expired')::int AS expired, count(*) FILTER (WHERE event_type = 'approval.approved')::int AS approved
         FROM audit_events WHERE execution_run_id = $1`,
        [run.id],
      );
      expect(counts.rows[0]).toEqual({ expired: 1, approved: 0 });
    }
  });

  it('expiry sweeper racing an approval at the moment the lane runs out: one consistent outcome each time, never a vote counted after expiry', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 12; round++) {
      const run = await newRun();
      // The lane runs out within a few milliseconds either side of the moment both are fired.
      const offsetMs = (round % 4) * 10 - 15;
      await asOwnerWithoutTriggers(pool, [
        [
          `UPDATE approvals SET expires_at = greatest(created_at + interval '1 millisecond', now() + make_interval(secs => $2::double precision / 1000))
           WHERE execution_run_id = $1`,
          [run.id, offsetMs],
        ],
      ]);
      const [vote] = await Promise.allSettled([
        votes.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver)),
        sweeper.sweepOnce(),
      ]);
      const { rows: events } = await pool.query(
        `SELECT event_type, id FROM audit_events WHERE execution_run_id = $1 AND event_type IN ('approval.approved', 'approval.expired') ORDER BY id`,
        [run.id],
      );
      const [lane] = (
        await pool.query(`SELECT status, decided_at < expires_at AS decided_in_time FROM approvals WHERE execution_run_id = $1`, [run.id])
      ).rows;
      const final = await state(run.id);
      const approved = events.filter((event) => event.event_type === 'approval.approved').length;
      const expired = events.filter((event) => event.event_type === 'approval.expired').length;
      expect(approved).toBeLessThanOrEqual(1);
      expect(expired).toBeLessThanOrEqual(1);
      if (vote.status === 'fulfilled') {
        // The vote won: it was counted before the lane ran out. A sweep after that may still expire
        // the unclaimed approval (fail closed), but only after it, never instead of it.
        expect(approved).toBe(1);
        expect(events[0].event_type).toBe('approval.approved');
        expect([
          ['RUN', 'approved', 0],
          ['EXPIRED', 'expired', 1],
        ]).toContainEqual([final.run, final.approval, expired]);
        outcomes.push(expired === 0 ? 'approved' : 'approved-then-expired');
      } else {
        expect(vote.reason.code).toBe('approval_expired');
        expect(approved).toBe(0);
        expect(expired).toBe(1);
        expect(final).toEqual({ run: 'EXPIRED', approval: 'expired' });
        expect(lane.status).toBe('expired');
        outcomes.push('expired');
      }
      if (approved === 1) expect(lane.decided_in_time).toBe(true);
    }
    expect(outcomes).toHaveLength(12);
  });

  it('an approval that commits before the sweep is not expired by it', async () => {
    const run = await newRun();
    await votes.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver));
    await sweeper.sweepOnce();
    expect(await state(run.id)).toEqual({ run: 'RUN', approval: 'approved' });
  });

  it('re-drives the grant handler for an approved build run whose after-commit step never ran', async () => {
    // A process that approves without the grants lib loaded stands in for one that crashed
    // between the commit and the handler: the approval commits, no handler outcome is recorded.
    const crashed = await NestFactory.createApplicationContext(ApprovalOnlyModule, { logger: false });
    const second = await servicePrincipal(app, 'approver-2', [Role.Approver]);
    const run = await newRun('governance.authorize_build_step', ['DOT_C1_VOCAB_BUILD'], {
      namespace: 'DRYRUN-NS',
      rollback_plan_ref: 'R',
      commit: true,
    });
    try {
      for (const principal of [approver, second])
        await crashed
          .get(ApprovalVoteService)
          .vote(principal, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(principal));
    } finally {
      await crashed.close();
    }
    const outcomes = async () =>
      (
        await pool.query(`SELECT data->>'outcome' AS outcome FROM audit_events WHERE execution_run_id = $1 AND event_type LIKE 'grant.%'`, [
          run.id,
        ])
      ).rows.map((row) => row.outcome);
    expect(await outcomes()).toEqual([]);
    const reconciler = app.get(GrantReconcilerService);
    // Within the grace period the approving process may still be running the handler.
    await reconciler.reconcile(100);
    expect(await outcomes()).toEqual([]);
    await pool.query(`UPDATE approvals SET decided_at = decided_at - interval '1 minute' WHERE execution_run_id = $1`, [run.id]);
    await reconciler.reconcile(100);
    expect(await outcomes()).toEqual(['FAIL:reject_real_run_commit_not_allowed']);
    await reconciler.reconcile(100);
    expect(await outcomes()).toEqual(['FAIL:reject_real_run_commit_not_allowed']);
  });

  it('the grant handler refuses any other action code (SKIP:reject_action_superset), audited', async () => {
    const run = await newRun('deploy', ['web-1']);
    const handler = app.get(AuthorizeBuildStepHandler);
    const actionType = app.get(PolicyService).getActionTypeOrFail('deploy');
    const lane = (await pool.query(`SELECT * FROM approvals WHERE execution_run_id = $1`, [run.id])).rows[0];
    expect(await handler.handle({ run, approval: lane, actionType }, 'test')).toBe('SKIP:reject_action_superset');
    const events = await pool.query(
      `SELECT event_type, data->>'outcome' AS outcome FROM audit_events WHERE chain_key = $1 AND event_type LIKE 'grant.%'`,
      [`run:${run.id}`],
    );
    expect(events.rows).toEqual([{ event_type: 'grant.skipped', outcome: 'SKIP:reject_action_superset' }]);
    expect((await pool.query(`SELECT 1 FROM governance_grants WHERE execution_run_id = $1`, [run.id])).rowCount).toBe(0);
  });

  it('closes the approval a run left open when it ended (a process that died between the two): invalidated, as the system', async () => {
    const run = await newRun();
    // The run is cancelled by the execution lib alone, as if the process died before closing the lane.
    await app.get(RunCancelService).cancel(approver, { executionId: run.id, reason: 'stop' }, ctx(approver));
    expect(await state(run.id)).toEqual({ run: 'CANCELLED', approval: 'pending' });
    const result = await sweeper.sweepOnce();
    expect(result.approvalsClosed).toBeGreaterThanOrEqual(1);
    expect(await state(run.id)).toEqual({ run: 'CANCELLED', approval: 'invalidated' });
    const events = await pool.query(
      `SELECT actor, data->>'run_status' AS run_status FROM audit_events WHERE chain_key = $1 AND event_type = 'approval.invalidated'`,
      [`run:${run.id}`],
    );
    expect(events.rows).toEqual([{ actor: 'system', run_status: 'CANCELLED' }]);
  });

  it('reopens a deferral whose until has passed, as the system; a deferral without until stays', async () => {
    const deferrals = app.get(ApprovalDeferralService);
    const due = await newRun();
    const open = await newRun();
    // A deferral's until must be in the future when it is made: a moment ahead, then let it pass.
    const until = new Date(Date.now() + 300);
    await deferrals.defer(approver, { executionId: due.id, reason: 'after the freeze', until, planHash: due.plan_hash }, ctx(approver));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until.getTime() - Date.now()) + 200));
    await deferrals.defer(approver, { executionId: open.id, reason: 'no date yet', planHash: open.plan_hash }, ctx(approver));
    const result = await sweeper.sweepOnce();
    expect(result.deferralsReopened).toBeGreaterThanOrEqual(1);
    const lanes = async (id: string) =>
      (await pool.query(`SELECT lane, status FROM approvals WHERE execution_run_id = $1 ORDER BY lane`, [id])).rows;
    expect(await lanes(due.id)).toEqual([
      { lane: 1, status: 'deferred' },
      { lane: 2, status: 'pending' },
    ]);
    expect((await app.get(ExecutionRunService).getRunOrFail(due.id)).blocked_reason).toBe('approval_pending');
    expect(await lanes(open.id)).toEqual([{ lane: 1, status: 'deferred' }]);
    const reopened = await pool.query(`SELECT actor FROM audit_events WHERE chain_key = $1 AND event_type = 'approval.reopened'`, [
      `run:${due.id}`,
    ]);
    expect(reopened.rows).toEqual([{ actor: 'system' }]);
  });
});
