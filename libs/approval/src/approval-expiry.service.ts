import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditEventType, runEvent } from '@lib/audit';
import { ExecutionRunRow, ExecutionRunService, RUN_AXIS, RunStatus, WAITING_RUN_STATUSES } from '@lib/execution';
import { StatusMachineService } from '@lib/state-machine';
import { MetricsService } from '@lib/telemetry';
import { ApprovalRepository } from './approval.repository';
import { APPROVAL_AXIS, ApprovalStatus } from './approval-status';

/**
 * Expiry fails closed and is its own state, never a rejection. Two mechanisms (seed 001): the
 * worker's sweeper expires overdue lanes in batches (SKIP LOCKED on the runs, so it never waits
 * for, nor races, a decision holding a run), and a lazy guard expires an overdue lane met by a
 * read or a decision, in its own transaction, before anything else happens. Only runs that have
 * not started (BLOCKED, RUN) expire; "overdue" is always judged by the database clock.
 */
@Injectable()
export class ApprovalExpiryService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunService,
    private readonly approvals: ApprovalRepository,
    private readonly metrics: MetricsService,
  ) {}

  /** The lazy guard. True when it expired the run's current lane. */
  async expireIfOverdue(executionRunId: string, requestId = 'lazy-expiry'): Promise<boolean> {
    if (!(await this.approvals.overdueOpenLane(executionRunId, WAITING_RUN_STATUSES))) return false;
    const expired = await this.uow.run(async () => {
      const run = await this.runs.getRunOrFail(executionRunId, { lock: true });
      return this.expireLocked(run, { actor: SYSTEM_ACTOR, requestId });
    });
    if (expired) this.metrics.recordExpiries('lazy', 1);
    return expired;
  }

  /** The sweeper's batch: up to `limit` runs with an overdue open lane. Returns how many expired. */
  async sweep(limit: number, requestId = 'expiry-sweep'): Promise<number> {
    return this.uow.run(async () => {
      const candidates = await this.approvals.runsWithOverdueLanes({ statuses: WAITING_RUN_STATUSES, limit });
      const runs = await this.runs.lockRuns(candidates, { statuses: WAITING_RUN_STATUSES, skipLocked: true });
      let expired = 0;
      for (const run of runs) if (await this.expireLocked(run, { actor: SYSTEM_ACTOR, requestId })) expired++;
      return expired;
    });
  }

  /** Expires the run's open lane if it is overdue; the caller holds the run's row lock. True when it did. */
  async expireLocked(run: ExecutionRunRow, ctx: CommandContext): Promise<boolean> {
    const lane = await this.approvals.overdueOpenLane(run.id, WAITING_RUN_STATUSES);
    if (!lane) return false;
    await this.fsm.transition({
      axis: APPROVAL_AXIS,
      id: lane.id,
      from: lane.status as ApprovalStatus,
      to: ApprovalStatus.Expired,
      // A pending lane is closed by the system; an approved one keeps who approved it.
      set: lane.status === ApprovalStatus.Pending ? { decided_by: SYSTEM_ACTOR.id, decided_at: DbTime.now() } : {},
      audit: runEvent(AuditEventType.ApprovalExpired, run, ctx, {
        approval_id: lane.id,
        lane: lane.lane,
        was: lane.status,
        expires_at: lane.expires_at.toISOString(),
      }),
    });
    await this.fsm.transition({
      axis: RUN_AXIS,
      id: run.id,
      from: run.status as RunStatus,
      to: RunStatus.Expired,
      set: { blocked_reason: null },
      audit: runEvent(AuditEventType.RunStatusChanged, run, ctx, { from: run.status, to: RunStatus.Expired, approval_id: lane.id }),
    });
    return true;
  }
}
