import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { Refusal } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, ActionType, GovernanceErrorCode, GovernanceException, Permission, PolicyService, Principal } from '@lib/governance';
import { ExecutionRunRow, ExecutionRunService, notFound } from '@lib/execution';
import { ApprovalStatus } from './approval-status';
import { ApprovalRow } from './approval.tables';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalClosureService } from './approval-closure.service';
import { ApprovalExpiryService } from './approval-expiry.service';
import { ApprovalLaneService } from './approval-lane.service';

export interface DecisionTarget {
  readonly run: ExecutionRunRow;
  readonly lane: ApprovalRow;
  readonly actionType: ActionType;
}

/**
 * What every decision on a run (vote, defer, reopen) does first, inside its transaction: lock
 * the run (so decisions on one run serialize, and its audit chain with them), check the decider
 * may decide for this action and project, expire a lane that has run out, load the current lane,
 * and refuse self-decisions.
 */
@Injectable()
export class DecisionSupportService {
  constructor(
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly policy: PolicyService,
    private readonly runs: ExecutionRunService,
    private readonly lanes: ApprovalLaneService,
    private readonly expiry: ApprovalExpiryService,
    private readonly closure: ApprovalClosureService,
  ) {}

  async loadLocked(principal: Principal, executionId: string, ctx: CommandContext, attempted: string): Promise<DecisionTarget | Refusal> {
    const run = await this.runs.getRunOrFail(executionId, { lock: true });
    this.access.assertVisible(principal, Permission.ApprovalDecide, run.project_id, notFound);
    const actionType = this.policy.getActionTypeOrFail(run.action);
    if (!principal.hasAnyRole(actionType.approverRoles)) {
      throw new GovernanceException(
        GovernanceErrorCode.Forbidden,
        `deciding ${actionType.code} needs one of the roles ${actionType.approverRoles.join(', ')}`,
        {
          approver_roles: actionType.approverRoles,
        },
      );
    }
    // Under the run's lock, by this transaction's clock: a lane that ran out is expired first, so
    // a decision that comes after the expiry is refused, never counted.
    await this.expiry.expireLocked(run, { actor: SYSTEM_ACTOR, requestId: ctx.requestId });
    // A run that has ended closes its lane first, so the decision is refused for what it is.
    await this.closure.closeForEndedRun(run, { actor: SYSTEM_ACTOR, requestId: ctx.requestId });
    const lane = await this.lanes.currentRow(run.id);
    if (!lane) throw new ApprovalException(ApprovalErrorCode.ApprovalMissing, 'this run has no approval');
    if (run.requested_by === ctx.actor.id) {
      return this.refuse({ run, lane }, ctx, {
        type: AuditEventType.ApprovalSelfApprovalDenied,
        error: new ApprovalException(ApprovalErrorCode.SelfApprovalForbidden, 'the requester of a run may not decide its approval'),
        attempted,
      });
    }
    return { run, lane, actionType };
  }

  /**
   * A decision is bound to what the approver saw: the plan_hash it names must be the run's plan
   * now (else 409 plan_changed, audited). At levels 2 and 3 it must name one (400 plan_hash_required);
   * at level 1 it may.
   */
  async refusePlanNotSeen(
    target: DecisionTarget,
    planHash: string | undefined,
    ctx: CommandContext,
    attempted: string,
  ): Promise<Refusal | null> {
    if (planHash === undefined) {
      if (target.run.approval_level < 2) return null;
      throw new ApprovalException(
        ApprovalErrorCode.PlanHashRequired,
        `a decision on a level-${target.run.approval_level} run must name the plan_hash it was shown`,
      );
    }
    if (planHash === target.run.plan_hash) return null;
    return this.refuse(target, ctx, {
      type: AuditEventType.ApprovalDecisionConflict,
      error: new ApprovalException(ApprovalErrorCode.PlanChanged, 'the plan changed since the approver was shown it: read the run again'),
      attempted,
    });
  }

  /** A lane that is no longer pending: 409, with the reason it is closed. Audited. */
  refuseClosedLane(target: { run: ExecutionRunRow; lane: ApprovalRow }, ctx: CommandContext, attempted: string): Promise<Refusal> {
    const error =
      target.lane.status === ApprovalStatus.Expired
        ? new ApprovalException(ApprovalErrorCode.ApprovalExpired, 'the approval expired before it was decided; the run is EXPIRED')
        : new ApprovalException(ApprovalErrorCode.ApprovalAlreadyDecided, `the approval is already ${target.lane.status}`, {
            approval_status: target.lane.status,
          });
    return this.refuse(target, ctx, { type: AuditEventType.ApprovalDecisionConflict, error, attempted });
  }

  async refuse(
    target: { run: ExecutionRunRow; lane: ApprovalRow },
    ctx: CommandContext,
    refusal: { type: AuditEventType; error: ApprovalException; attempted: string },
  ): Promise<Refusal> {
    await this.audit.record({
      type: refusal.type,
      ctx,
      projectId: target.run.project_id,
      executionRunId: target.run.id,
      data: {
        approval_id: target.lane.id,
        lane: target.lane.lane,
        approval_status: target.lane.status,
        attempted: refusal.attempted,
        code: refusal.error.code,
      },
    });
    return new Refusal(refusal.error);
  }
}
