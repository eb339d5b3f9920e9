import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { DbTime, Refusal, UnitOfWork } from '@lib/database';
import { AuditEventType, runEvent } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { ActionType, PolicyService } from '@lib/policy';
import { BlockedReason, ExecutionRunRow, ExecutionRunService, RUN_AXIS, RunStatus } from '@lib/execution';
import { StatusMachineService } from '@lib/state-machine';
import { ApprovalRepository } from './approval.repository';
import { APPROVAL_AXIS, ApprovalStatus } from './approval-status';
import { ApprovalRow } from './approval.tables';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalLaneService } from './approval-lane.service';
import { RunView, summarizeLane } from './approval-summary';
import { DecisionSupportService } from './decision-support.service';

/**
 * Deferral parks a pending lane with a reason (the run stays BLOCKED, approval_deferred);
 * reopening opens a new pending lane with a fresh expiry and no votes: by an approver at any
 * time, or by the system once the deferral's `until` has passed. The deferred lane stays as it
 * was, part of the record.
 */
@Injectable()
export class ApprovalDeferralService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessService,
    private readonly policy: PolicyService,
    private readonly fsm: StatusMachineService,
    private readonly runs: ExecutionRunService,
    private readonly approvals: ApprovalRepository,
    private readonly lanes: ApprovalLaneService,
    private readonly support: DecisionSupportService,
  ) {}

  async defer(
    principal: Principal,
    input: { executionId: string; reason: string; until?: Date; planHash?: string },
    ctx: CommandContext,
  ): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.ApprovalDecide);
    if (input.until !== undefined && input.until.getTime() <= Date.now()) {
      throw new ApprovalException(
        ApprovalErrorCode.DeferUntilPast,
        'until must be in the future: a deferral until a time that has passed would reopen at once',
        {
          until: input.until.toISOString(),
        },
      );
    }
    return this.uow.run(async (): Promise<RunView | Refusal> => {
      const target = await this.support.loadLocked(principal, input.executionId, ctx, 'defer');
      if (target instanceof Refusal) return target;
      const { run, lane } = target;
      if (lane.status !== ApprovalStatus.Pending) return this.support.refuseClosedLane(target, ctx, 'defer');
      if (lane.step_index !== null) {
        return this.support.refuse(target, ctx, {
          type: AuditEventType.ApprovalDecisionConflict,
          error: new ApprovalException(
            ApprovalErrorCode.StepApprovalNotDeferrable,
            "a step's approval is approved or rejected (or the run cancelled), not deferred",
            { step_index: lane.step_index },
          ),
          attempted: 'defer',
        });
      }
      const notSeen = await this.support.refusePlanNotSeen(target, input.planHash, ctx, 'defer');
      if (notSeen) return notSeen;
      const deferred = await this.fsm.transition({
        axis: APPROVAL_AXIS,
        id: lane.id,
        from: ApprovalStatus.Pending,
        to: ApprovalStatus.Deferred,
        set: { reason: input.reason, decided_by: ctx.actor.id, decided_at: DbTime.now(), deferred_until: input.until ?? null },
        audit: runEvent(AuditEventType.ApprovalDeferred, run, ctx, {
          approval_id: lane.id,
          lane: lane.lane,
          reason: input.reason,
          until: input.until?.toISOString() ?? null,
        }),
      });
      const moved = await this.changeBlockedReason(
        run,
        BlockedReason.ApprovalPending,
        BlockedReason.ApprovalDeferred,
        runEvent(AuditEventType.RunStatusChanged, run, ctx, { blocked_reason: BlockedReason.ApprovalDeferred, approval_id: lane.id }),
      );
      return { run: moved, approval: await this.lanes.summarize(deferred) };
    });
  }

  async reopen(principal: Principal, input: { executionId: string; reason?: string }, ctx: CommandContext): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.ApprovalDecide);
    return this.uow.run(async (): Promise<RunView | Refusal> => {
      const target = await this.support.loadLocked(principal, input.executionId, ctx, 'reopen');
      if (target instanceof Refusal) return target;
      const { run, lane, actionType } = target;
      if (lane.status !== ApprovalStatus.Deferred || run.blocked_reason !== BlockedReason.ApprovalDeferred) {
        return this.support.refuse(target, ctx, {
          type: AuditEventType.ApprovalDecisionConflict,
          error: new ApprovalException(
            ApprovalErrorCode.ApprovalNotDeferred,
            `only a deferred approval can be reopened; this one is ${lane.status}`,
            {
              approval_status: lane.status,
            },
          ),
          attempted: 'reopen',
        });
      }
      return this.reopenLocked({ run, lane, actionType, reason: input.reason ?? null }, ctx);
    });
  }

  /**
   * The sweeper's part: lanes deferred `until` a time that has passed are reopened by the system,
   * in batches (SKIP LOCKED on the runs). Returns how many were reopened.
   */
  async reopenDue(limit: number, requestId = 'deferral-sweep'): Promise<number> {
    return this.uow.run(async () => {
      const runs = await this.runs.lockRuns(await this.approvals.runsWithDeferralDue(limit), {
        statuses: [RunStatus.Blocked],
        skipLocked: true,
      });
      const ctx: CommandContext = { actor: SYSTEM_ACTOR, requestId };
      let reopened = 0;
      for (const run of runs) {
        const lane = await this.approvals.currentLane(run.id);
        const actionType = this.policy.find(run.action);
        if (!lane || lane.status !== ApprovalStatus.Deferred || run.blocked_reason !== BlockedReason.ApprovalDeferred || !actionType)
          continue;
        await this.reopenLocked({ run, lane, actionType, reason: 'the deferral ended' }, ctx);
        reopened++;
      }
      return reopened;
    });
  }

  /** Opens the next lane of a deferred run; the caller holds the run's lock. */
  private async reopenLocked(
    input: { run: ExecutionRunRow; lane: ApprovalRow; actionType: ActionType; reason: string | null },
    ctx: CommandContext,
  ): Promise<RunView> {
    const { run, lane, actionType } = input;
    const opened = await this.lanes.openLane({ run, actionType, policyHash: this.policy.hash, ctx });
    const moved = await this.changeBlockedReason(
      run,
      BlockedReason.ApprovalDeferred,
      BlockedReason.ApprovalPending,
      runEvent(AuditEventType.ApprovalReopened, run, ctx, {
        deferred_approval_id: lane.id,
        approval_id: opened.id,
        lane: opened.lane,
        reason: input.reason,
      }),
    );
    return { run: moved, approval: summarizeLane(opened, []) };
  }

  /** A blocked run's reason changes without a status change: the same compare-and-set, on the reason. */
  private changeBlockedReason(
    run: ExecutionRunRow,
    from: BlockedReason,
    to: BlockedReason,
    audit: Parameters<StatusMachineService['transition']>[0]['audit'],
  ): Promise<ExecutionRunRow> {
    return this.fsm.transition({
      axis: RUN_AXIS,
      id: run.id,
      from: RunStatus.Blocked,
      to: RunStatus.Blocked,
      set: { blocked_reason: to },
      expect: { blocked_reason: from },
      audit,
    });
  }
}
