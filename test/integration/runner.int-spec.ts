import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { CommandContext } from '@lib/common';
import { ConfigModule } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { ExecutionRunRow, RunQueueService } from '@lib/execution';
import { IdentityModule, Principal, Role } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { ApprovalDeferralService, ApprovalGateService, ApprovalVoteService, PlanChangeService } from '@lib/approval';
import { OrchestrationModule, RunRequestService } from '@lib/orchestration';
import { WorkerLoopModule } from '@lib/runner';
import { openTestPool } from '../support/db';
import { waitForRun } from '../support/run-events';
import { servicePrincipal } from '../support/principals';

@Module({
  imports: [ConfigModule.forRoot(), DatabaseModule.forRoot(), IdentityModule, PolicyModule, OrchestrationModule, WorkerLoopModule],
})
class WorkerTestModule {}

const PREFIX = `wtest-${randomUUID().slice(0, 8)}`;

/** Workers in this process serve only this file's projects, so other suites' runs are left alone. */
async function startWorker(name: string, projects = `${PREFIX}%`): Promise<INestApplicationContext> {
  Object.assign(process.env, {
    WORKER_ID: `${PREFIX}-${name}`,
    WORKER_PROJECTS: projects,
    WORKER_LEASE_MS: '1500',
    WORKER_POLL_MS: '100',
    WORKER_BACKOFF_BASE_MS: '50',
    WORKER_ABORT_GRACE_MS: '300',
  });
  const app = await NestFactory.createApplicationContext(WorkerTestModule, { logger: false });
  await app.init();
  return app;
}

describe('the execution worker on PostgreSQL', () => {
  let worker: INestApplicationContext;
  let pool: Pool;
  let runs: RunRequestService;
  let votes: ApprovalVoteService;
  let requester: Principal;
  let approver: Principal;
  const ctx = (principal: Principal): CommandContext => principal.context(`req-${randomUUID()}`);

  beforeAll(async () => {
    worker = await startWorker('a');
    pool = openTestPool();
    runs = worker.get(RunRequestService);
    votes = worker.get(ApprovalVoteService);
    requester = await servicePrincipal(worker, 'requester', [Role.Requester]);
    approver = await servicePrincipal(worker, 'approver', [Role.Approver]);
  });
  afterAll(async () => {
    await pool?.end();
    await worker?.close();
  });

  /** An approved ops.sleep run in this file's project space. */
  /** A one-second SLA class of this file's own, so other suites' runs keep their timeouts. */
  const FAST_SLA = `fast-${PREFIX}`;

  async function approvedRun(
    params: Record<string, unknown>,
    targets: string[],
    projectPrefix = PREFIX,
    slaClass?: string,
  ): Promise<ExecutionRunRow> {
    const { run } = await runs.request(
      requester,
      { projectId: `${projectPrefix}-${randomUUID().slice(0, 8)}`, idempotencyKey: 'k', action: 'ops.sleep', params, targets },
      ctx(requester),
    );
    if (slaClass) await pool.query(`UPDATE execution_runs SET sla_class = $2 WHERE id = $1`, [run.id, slaClass]);
    await votes.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver));
    return run;
  }

  /** Woken by the run's audit events, not by polling. */
  async function waitFor(id: string, statuses: string[], timeoutMs = 15_000): Promise<ExecutionRunRow> {
    const read = async () => (await pool.query(`SELECT * FROM execution_runs WHERE id = $1`, [id])).rows[0] as ExecutionRunRow;
    try {
      return await waitForRun({
        runId: id,
        probe: async () => ((row) => (statuses.includes(row.status) ? row : undefined))(await read()),
        what: statuses.join('|'),
        timeoutMs,
      });
    } catch {
      throw new Error(`run ${id} is ${(await read()).status}, expected ${statuses.join('|')}`);
    }
  }
  const steps = async (id: string) =>
    (
      await pool.query(
        `SELECT step_index, attempt, status, worker_id, started_at, finished_at FROM execution_steps WHERE execution_run_id = $1 ORDER BY id`,
        [id],
      )
    ).rows;
  const locksOf = async (id: string) => (await pool.query(`SELECT target FROM execution_locks WHERE execution_run_id = $1`, [id])).rowCount;

  it('approval is the continuation: the run is claimed and carried out step by step with no further call', async () => {
    const run = await approvedRun({ ms: 50 }, ['t-b', 't-a', 't-c']);
    const done = await waitFor(run.id, ['SUCCEEDED']);
    expect(done).toMatchObject({ attempt: 1, worker_id: null, lease_expires_at: null, result: { steps: 3 } });
    expect((await steps(run.id)).map((step) => [step.step_index, step.status])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
    expect(await locksOf(run.id)).toBe(0);
    const events = (await pool.query(`SELECT event_type, data FROM audit_events WHERE chain_key = $1 ORDER BY id`, [`run:${run.id}`])).rows;
    expect(events.map((event) => event.event_type)).toEqual(expect.arrayContaining(['run.claimed', 'step.started', 'step.finished']));
    // The run ends SUCCEEDED, and its approval ends with it, executed (seed 001's terminal state).
    expect(events.slice(-2)).toMatchObject([
      { event_type: 'run.status_changed', data: { from: 'RUNNING', to: 'SUCCEEDED' } },
      { event_type: 'approval.executed', data: { was: 'approved', run_status: 'SUCCEEDED' } },
    ]);
    // What the run produced stays usable after it (the gate with afterExecution); nothing else runs on it.
    const gate = worker.get(ApprovalGateService);
    expect(await gate.check(run.id)).toMatchObject({ allowed: false, reason: 'not_approved', approvalStatus: 'executed' });
    expect(await gate.check(run.id, { afterExecution: true })).toMatchObject({ allowed: true, approval: { status: 'executed' } });
  });

  it('a thrown error is retried with backoff and lands in the dead-letter table after max_attempts', async () => {
    const run = await approvedRun({ ms: 10, fail: 'throw' }, ['t-1']);
    const dead = await waitFor(run.id, ['DEAD_LETTERED']);
    expect(dead.attempt).toBe(3);
    expect(dead.last_error).toMatch(/failed on purpose/);
    expect((await steps(run.id)).map((step) => [step.attempt, step.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    const dlq = await pool.query(`SELECT attempts, last_error FROM execution_dlq WHERE execution_run_id = $1`, [run.id]);
    expect(dlq.rows).toEqual([{ attempts: 3, last_error: expect.stringMatching(/failed on purpose/) }]);
    expect(await locksOf(run.id)).toBe(0);
  });

  it('FAIL:<detail> fails the run at once, without retries', async () => {
    const run = await approvedRun({ ms: 10, fail: 'fail' }, ['t-2']);
    const failed = await waitFor(run.id, ['FAILED']);
    expect(failed).toMatchObject({ attempt: 1, last_error: 'FAIL:requested' });
    // Its approval ends too: execution_failed, never left approved.
    expect((await pool.query(`SELECT status FROM approvals WHERE execution_run_id = $1`, [run.id])).rows).toEqual([
      { status: 'execution_failed' },
    ]);
  });

  it('two runs on one target never overlap', async () => {
    const target = `shared-${randomUUID().slice(0, 6)}`;
    const [a, b] = await Promise.all([approvedRun({ ms: 300 }, [target]), approvedRun({ ms: 300 }, [target])]);
    await waitFor(a.id, ['SUCCEEDED']);
    await waitFor(b.id, ['SUCCEEDED']);
    const [sa] = await steps(a.id);
    const [sb] = await steps(b.id);
    const [first, second] = sa.started_at < sb.started_at ? [sa, sb] : [sb, sa];
    expect(new Date(first.finished_at).getTime()).toBeLessThanOrEqual(new Date(second.started_at).getTime());
  });

  it('immediate mode is immediate: with background workers running, the create request itself carries the run out', async () => {
    for (let round = 0; round < 10; round++) {
      const { run } = await runs.request(
        requester,
        {
          projectId: `${PREFIX}-${randomUUID().slice(0, 8)}`,
          idempotencyKey: 'k',
          action: 'inventory.read',
          params: {},
          targets: [`inv-${randomUUID().slice(0, 6)}`],
        },
        ctx(requester),
      );
      expect(run).toMatchObject({ status: 'SUCCEEDED', result: { steps: 1 } });
      const claims = await pool.query(
        `SELECT data->>'worker_id' AS worker FROM audit_events WHERE chain_key = $1 AND event_type = 'run.claimed'`,
        [`run:${run.id}`],
      );
      expect(claims.rows).toEqual([{ worker: `api:${process.pid}` }]);
    }
  });

  it('a run waiting for a locked target says so once when it starts waiting and once when it gets the target', async () => {
    const target = `held-${randomUUID().slice(0, 6)}`;
    const holder = await approvedRun({ ms: 1200 }, [target]);
    await waitFor(holder.id, ['RUNNING']);
    const waiter = await approvedRun({ ms: 10 }, [target]);
    await waitFor(waiter.id, ['SUCCEEDED']);
    const { rows } = await pool.query(
      `SELECT event_type, count(*)::int AS n FROM audit_events WHERE chain_key = $1 AND event_type IN ('run.target_wait_started', 'run.target_acquired', 'run.claimed', 'run.status_changed') GROUP BY 1 ORDER BY 1`,
      [`run:${waiter.id}`],
    );
    // Waiting ~1 s at 50 ms retries used to write two events per retry; now: one, one, and a single
    // claim (RUN -> RUNNING, its own event). The status changes: BLOCKED -> RUN, RUNNING -> SUCCEEDED.
    expect(rows).toEqual([
      { event_type: 'run.claimed', n: 1 },
      { event_type: 'run.status_changed', n: 2 },
      { event_type: 'run.target_acquired', n: 1 },
      { event_type: 'run.target_wait_started', n: 1 },
    ]);
  });

  /** Once the run's handler is running (its step has started), a cancel request as the API records it. */
  const cancelOnceItsStepRuns = async (runId: string): Promise<void> => {
    await waitForRun({
      runId,
      probe: async () =>
        (await pool.query(`SELECT 1 FROM execution_steps WHERE execution_run_id = $1 AND status = 'running'`, [runId])).rowCount === 1,
      what: 'the step to start',
    });
    await pool.query(
      `UPDATE execution_runs SET cancel_requested_at = now(), cancel_requested_by = 'tester', cancel_reason = 'stop' WHERE id = $1`,
      [runId],
    );
  };

  it('a cancel request reaches a running handler at its next check; the run ends CANCELLED and releases its locks', async () => {
    const run = await approvedRun({ ms: 10_000 }, ['t-cancel']);
    await cancelOnceItsStepRuns(run.id);
    const cancelled = await waitFor(run.id, ['CANCELLED'], 5000);
    expect(cancelled).toMatchObject({ cancelled_by: 'tester' });
    expect(cancelled.cancel_checks_performed).toBeGreaterThan(0);
    expect((await steps(run.id)).map((step) => step.status)).toEqual(['cancelled']);
    expect(await locksOf(run.id)).toBe(0);
  });

  it("a cancel committed before the last step's result makes the run CANCELLED, though that step finished (truthfully recorded)", async () => {
    // The handler ignores its abort and finishes within the grace period, before any heartbeat.
    const run = await approvedRun({ ms: 250, fail: 'ignore_abort' }, ['t-late-cancel']);
    await cancelOnceItsStepRuns(run.id);
    const ended = await waitFor(run.id, ['CANCELLED', 'SUCCEEDED'], 5000);
    expect(ended).toMatchObject({ status: 'CANCELLED', cancelled_by: 'tester', result: null });
    expect((await steps(run.id)).map((step) => step.status)).toEqual(['succeeded']);
    const { rows } = await pool.query(
      `SELECT data FROM audit_events WHERE execution_run_id = $1 AND event_type = 'run.status_changed' ORDER BY id DESC LIMIT 1`,
      [run.id],
    );
    expect(rows[0].data).toMatchObject({ to: 'CANCELLED', cancel_before: 'succeeded' });
  });

  it('a run whose worker died is reaped, and the next attempt resumes at the first unfinished step', async () => {
    // In a project the running worker does not serve, a "dead" worker claims the run, finishes
    // step 0, starts step 1 and stops answering (no heartbeat).
    const ghostProjects = `g${PREFIX}`;
    const run = await approvedRun({ ms: 20 }, ['r-1', 'r-2', 'r-3'], ghostProjects);
    const claim = await worker
      .get(RunQueueService)
      .claim({ workerId: 'ghost', leaseMs: 300, lockWaitMs: 10, projectPattern: run.project_id, limit: 1, timeoutCapSeconds: 60 });
    const [started] = claim.claimed;
    if (!started) throw new Error('the ghost could not claim');
    await pool.query(
      `INSERT INTO execution_steps (execution_run_id, step_index, name, attempt, worker_id) VALUES ($1, 0, 'sleep:r-1', $2, 'ghost')`,
      [run.id, started.attempt],
    );
    await pool.query(
      `UPDATE execution_steps SET status = 'succeeded', finished_at = now() WHERE execution_run_id = $1 AND step_index = 0`,
      [run.id],
    );
    await pool.query(
      `INSERT INTO execution_steps (execution_run_id, step_index, name, attempt, worker_id) VALUES ($1, 1, 'sleep:r-2', $2, 'ghost')`,
      [run.id, started.attempt],
    );
    // A live worker for those projects reaps the run once the lease runs out, then resumes it.
    const rescuer = await startWorker('rescuer', `${ghostProjects}%`);
    try {
      const done = await waitFor(run.id, ['SUCCEEDED'], 20_000);
      expect(done.attempt).toBe(2);
    } finally {
      await rescuer.close();
    }
    const rows = await steps(run.id);
    expect(rows.map((step) => [step.step_index, step.attempt, step.status, step.worker_id === 'ghost' ? 'ghost' : 'live'])).toEqual([
      [0, 1, 'succeeded', 'ghost'],
      [1, 1, 'abandoned', 'ghost'],
      [1, 2, 'succeeded', 'live'],
      [2, 2, 'succeeded', 'live'],
    ]);
    expect(await locksOf(run.id)).toBe(0);
  });

  it('a database error between two steps sends the run back with its open step closed; it is claimed again and succeeds', async () => {
    // The first attempt's end of step 0 is refused once by the database (as a statement timeout or a
    // dropped connection would): the transaction that ends step 0 and starts step 1 rolls back.
    const run = await approvedRun({ ms: 400 }, ['t-x', 't-y']);
    const failing = `fail_step_end_${PREFIX.replace(/-/g, '_')}`;
    await pool.query(`CREATE FUNCTION ${failing}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.execution_run_id = '${run.id}' AND OLD.status = 'running' AND NEW.status = 'succeeded' AND NEW.attempt = 1 THEN
          RAISE EXCEPTION 'refused for the test: the end of step %', NEW.step_index;
        END IF;
        RETURN NEW;
      END $$`);
    await pool.query(`CREATE TRIGGER ${failing} BEFORE UPDATE ON execution_steps FOR EACH ROW EXECUTE FUNCTION ${failing}()`);
    try {
      const done = await waitFor(run.id, ['SUCCEEDED', 'DEAD_LETTERED', 'FAILED'], 20_000);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
      expect((await steps(run.id)).map((step) => [step.step_index, step.attempt, step.status])).toEqual([
        [0, 1, 'abandoned'],
        [0, 2, 'succeeded'],
        [1, 2, 'succeeded'],
      ]);
      const events = (await pool.query(`SELECT event_type, data FROM audit_events WHERE chain_key = $1 ORDER BY id`, [`run:${run.id}`]))
        .rows;
      expect(events).toEqual(
        expect.arrayContaining([
          { event_type: 'step.finished', data: expect.objectContaining({ step: 0, status: 'abandoned' }) },
          { event_type: 'run.status_changed', data: expect.objectContaining({ from: 'RUNNING', to: 'RUN' }) },
        ]),
      );
      // And the queue was never stuck: a run approved after it is carried out too.
      const next = await approvedRun({ ms: 10 }, ['t-x']);
      await waitFor(next.id, ['SUCCEEDED']);
    } finally {
      await pool.query(`DROP TRIGGER ${failing} ON execution_steps`);
      await pool.query(`DROP FUNCTION ${failing}()`);
    }
  });

  it('a run past its timeout is aborted and ends TIMED_OUT, releasing its locks', async () => {
    await pool.query(`INSERT INTO timeout_policies (sla_class, action_class, timeout_seconds) VALUES ($1, '*', 1) ON CONFLICT DO NOTHING`, [
      FAST_SLA,
    ]);
    try {
      const run = await approvedRun({ ms: 10_000 }, ['t-timeout'], PREFIX, FAST_SLA);
      const timedOut = await waitFor(run.id, ['TIMED_OUT'], 8000);
      expect(timedOut.timeout_seconds).toBe(1);
      expect((await steps(run.id)).map((step) => step.status)).toEqual(['timed_out']);
      expect(await locksOf(run.id)).toBe(0);
    } finally {
      await pool.query(`DELETE FROM timeout_policies WHERE sla_class = $1`, [FAST_SLA]);
    }
  });

  it('a handler that ignores its abort is abandoned after the grace period; the run still ends TIMED_OUT', async () => {
    await pool.query(`INSERT INTO timeout_policies (sla_class, action_class, timeout_seconds) VALUES ($1, '*', 1) ON CONFLICT DO NOTHING`, [
      FAST_SLA,
    ]);
    try {
      const run = await approvedRun({ ms: 8000, fail: 'ignore_abort' }, ['t-stubborn'], PREFIX, FAST_SLA);
      // The handler would sleep 8 s; the run ends after the 1 s deadline and the 0.3 s grace.
      await waitFor(run.id, ['TIMED_OUT'], 6000);
      expect((await steps(run.id)).map((step) => step.status)).toEqual(['timed_out']);
      expect(await locksOf(run.id)).toBe(0);
    } finally {
      await pool.query(`DELETE FROM timeout_policies WHERE sla_class = $1`, [FAST_SLA]);
    }
  });

  it('level 3 runs step by step: each step after the first waits, BLOCKED, for its own quorum', async () => {
    const second = await servicePrincipal(worker, 'approver-2', [Role.Approver]);
    const { run } = await runs.request(
      requester,
      {
        projectId: `${PREFIX}-${randomUUID().slice(0, 8)}`,
        idempotencyKey: 'k',
        action: 'deploy.production',
        params: { ms: 10 },
        targets: ['prod-a', 'prod-b'],
      },
      ctx(requester),
    );
    const approveBoth = async () => {
      for (const principal of [approver, second])
        await votes.vote(principal, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(principal));
    };
    await approveBoth();
    const paused = await waitFor(run.id, ['BLOCKED']);
    expect(paused.blocked_reason).toBe('step_approval_pending');
    expect((await steps(run.id)).map((step) => [step.step_index, step.status])).toEqual([[0, 'succeeded']]);
    const lanes = async () =>
      (await pool.query(`SELECT lane, status, step_index FROM approvals WHERE execution_run_id = $1 ORDER BY lane`, [run.id])).rows;
    expect(await lanes()).toEqual([
      { lane: 1, status: 'executed', step_index: null },
      { lane: 2, status: 'pending', step_index: 1 },
    ]);
    expect(await locksOf(run.id)).toBe(0);
    // Paused between steps, part of its plan has run: a new plan would mix with it.
    await expect(
      worker
        .get(PlanChangeService)
        .replacePlan(requester, { executionId: run.id, params: { ms: 20 }, targets: ['prod-x', 'prod-y'] }, ctx(requester)),
    ).rejects.toMatchObject({ code: 'plan_locked' });
    // A step's lane is decided, not put off.
    await expect(
      worker.get(ApprovalDeferralService).defer(approver, { executionId: run.id, reason: 'later', planHash: run.plan_hash }, ctx(approver)),
    ).rejects.toMatchObject({ code: 'step_approval_not_deferrable' });
    await approveBoth();
    const done = await waitFor(run.id, ['SUCCEEDED']);
    expect(done.result).toMatchObject({ steps: 2 });
    expect((await steps(run.id)).map((step) => [step.step_index, step.status])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
    ]);
    expect((await lanes()).map((lane) => lane.status)).toEqual(['executed', 'executed']);
  });

  it('worker-side RBAC: a run whose requester lost its key fails with an rbac_violation event', async () => {
    const departing = await servicePrincipal(worker, 'departing', [Role.Requester]);
    const { run } = await runs.request(
      departing,
      {
        projectId: `${PREFIX}-${randomUUID().slice(0, 8)}`,
        idempotencyKey: 'k',
        action: 'ops.sleep',
        params: { ms: 10 },
        targets: ['t-rbac'],
      },
      ctx(departing),
    );
    await pool.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [departing.credential.slice('api_key:'.length)]);
    await votes.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver));
    const failed = await waitFor(run.id, ['FAILED']);
    expect(failed.last_error).toMatch(/rbac_violation: the requesting key was revoked/);
    expect(await steps(run.id)).toEqual([]);
    const events = await pool.query(`SELECT data FROM audit_events WHERE chain_key = $1 AND event_type = 'run.rbac_violation'`, [
      `run:${run.id}`,
    ]);
    expect(events.rows).toEqual([{ data: { reason: 'the requesting key was revoked' } }]);
  });

  it('worker-side RBAC: a run whose requester was disabled after the approval fails with an rbac_violation event', async () => {
    const disabled = await servicePrincipal(worker, 'disabled', [Role.Requester]);
    const { run } = await runs.request(
      disabled,
      {
        projectId: `${PREFIX}-${randomUUID().slice(0, 8)}`,
        idempotencyKey: 'k',
        action: 'ops.sleep',
        params: { ms: 10 },
        targets: ['t-off'],
      },
      ctx(disabled),
    );
    await pool.query(
      `UPDATE principals SET disabled_at = now(), disabled_by = 'test', disabled_reason = 'left' WHERE id = $1 AND disabled_at IS NULL`,
      [disabled.id],
    );
    await votes.vote(approver, { executionId: run.id, decision: 'approve', planHash: run.plan_hash }, ctx(approver));
    const failed = await waitFor(run.id, ['FAILED']);
    expect(failed.last_error).toMatch(/rbac_violation: the requester was disabled/);
    expect(await steps(run.id)).toEqual([]);
  });
});
