import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType } from '@lib/audit';
import { ApprovalStatus, ExecutionRunRow, RunStatus, StatusMachineService } from '@lib/execution';
import { ApprovalRow } from './approval.entity';

/** Runs whose approval may still expire: not yet decided against, not yet started. */
const EXPIRABLE_RUN_STATUSES = [RunStatus.Blocked, RunStatus.Run];

/**
 * Expiry fails closed and is its own state, never a rejection. Two mechanisms (seed 001): the
 * worker's sweeper expires overdue lanes in batches (FOR UPDATE SKIP LOCKED on the runs, so it
 * never waits for, nor races, a decision holding a run), and a lazy guard expires an overdue
 * lane met by a read or a decision, in its own transaction, before anything else happens.
 */
@Injectable()
export class ApprovalExpiryService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly fsm: StatusMachineService,
  ) {}

  /** The lazy guard. True when it expired the run's current lane. */
  async expireIfOverdue(executionRunId: string, requestId = 'lazy-expiry'): Promise<boolean> {
    const due = await this.uow.query<{ id: string }>(
      `SELECT a.id FROM approvals a JOIN execution_runs r ON r.id = a.execution_run_id
       WHERE a.execution_run_id = $1 AND a.status IN ('pending', 'approved') AND a.expires_at <= now() AND r.status = ANY($2)`,
      [executionRunId, EXPIRABLE_RUN_STATUSES],
    );
    if (due.length === 0) return false;
    return this.uow.run(async () => {
      const [run] = await this.uow.query<ExecutionRunRow>(`SELECT * FROM execution_runs WHERE id = $1 FOR UPDATE`, [executionRunId]);
      return run ? this.expireLocked(run, { actor: SYSTEM_ACTOR, requestId }) : false;
    });
  }

  /** The sweeper's batch: up to `limit` runs with an overdue open lane. Returns how many expired. */
  async sweep(limit: number, requestId = 'expiry-sweep'): Promise<number> {
    return this.uow.run(async () => {
      const runs = await this.uow.query<ExecutionRunRow>(
        `SELECT r.* FROM execution_runs r
         WHERE r.status = ANY($1) AND EXISTS (
           SELECT 1 FROM approvals a WHERE a.execution_run_id = r.id AND a.status IN ('pending', 'approved') AND a.expires_at <= now())
         ORDER BY r.created_at LIMIT $2
         FOR UPDATE OF r SKIP LOCKED`,
        [EXPIRABLE_RUN_STATUSES, limit],
      );
      let expired = 0;
      for (const run of runs) if (await this.expireLocked(run, { actor: SYSTEM_ACTOR, requestId })) expired++;
      return expired;
    });
  }

  /** Expires the run's open lane if it is overdue; the caller holds the run's row lock. */
  private async expireLocked(run: ExecutionRunRow, ctx: CommandContext): Promise<boolean> {
    if (!EXPIRABLE_RUN_STATUSES.includes(run.status as RunStatus)) return false;
    const [lane] = await this.uow.query<ApprovalRow>(
      `SELECT * FROM approvals WHERE execution_run_id = $1 AND status IN ('pending', 'approved') AND expires_at <= now()`,
      [run.id],
    );
    if (!lane) return false;
    await this.fsm.transition({
      axis: 'approval',
      id: lane.id,
      from: lane.status,
      to: ApprovalStatus.Expired,
      // A pending lane is closed by the system; an approved one keeps who approved it.
      set: lane.status === ApprovalStatus.Pending ? { decided_by: SYSTEM_ACTOR.id, decided_at: new Date() } : {},
      audit: {
        type: AuditEventType.ApprovalExpired,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { approval_id: lane.id, lane: lane.lane, was: lane.status, expires_at: lane.expires_at.toISOString() },
      },
    });
    await this.fsm.transition({
      axis: 'run',
      id: run.id,
      from: run.status,
      to: RunStatus.Expired,
      set: { blocked_reason: null },
      audit: {
        type: AuditEventType.RunStatusChanged,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { from: run.status, to: RunStatus.Expired, approval_id: lane.id },
      },
    });
    return true;
  }
}
