import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { Refusal } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import {
  AccessService,
  DecisionRefusal,
  Permission,
  Principal,
  PrincipalService,
  IdentityErrorCode,
  IdentityException,
} from '@lib/identity';
import { ActionType, PolicyService } from '@lib/policy';
import { ExecutionRunRow, ExecutionRunService, notFound } from '@lib/execution';
import { ApprovalStatus } from './approval-status';
import { ApprovalRow } from './approval.tables';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalClosureService } from './approval-closure.service';
import { ApprovalExpiryService } from './approval-expiry.service';
import { ApprovalLaneService } from './approval-lane.service';

/** Why a decider that is not the requester may still not decide (principal_decision_refusal). */
export const INELIGIBLE: Readonly<Record<Exclude<DecisionRefusal, 'self'>, string>> = {
  unknown_principal: 'the decider is not a known principal',
  disabled: 'the decider is disabled',
  agent: 'approvals are decisions of people: an agent never decides, whatever roles it holds',
  accountable_for_the_requester:
    'the requester is an agent acting for the decider, who answers for what it asks and so would be deciding its own request',
  not_a_person:
    'approvals are decisions of people: this is a service principal, and no admin of every project marked it as a service approver',
  key_not_pinned:
    'a service approver decides with a key minted by itself or by an admin of every project; this key was minted by someone else, who holds it',
  made_the_requester:
    "the decider made the requester's principal or minted its key (or made whoever did), so it would be deciding its own request",
  made_by_the_requester:
    "the requester made the decider's principal or minted its key (or made whoever did), so it would be deciding its own request",
  same_maker:
    'the decider and the requester were made, or their keys minted, by the same principal (not an admin of every project), who holds both',
};

/** Why a principal without an approver role of the action on the run's project does not decide it. */
export function needsApproverRole(action: string, approverRoles: readonly string[], projectId: string): string {
  return `deciding ${action} needs one of the roles ${approverRoles.join(', ')} on project ${projectId}`;
}

export const SELF_APPROVAL = 'the requester of a run may not decide its approval';
export const EDITED_THE_PLAN = 'the decider changed this plan: someone else approves what it wrote';

export interface DecisionTarget {
  readonly run: ExecutionRunRow;
  readonly lane: ApprovalRow;
  readonly actionType: ActionType;
}

/**
 * What every decision on a run (vote, defer, reopen) does first, inside its transaction: lock
 * the run (so decisions on one run serialize, and its audit chain with them), check the decider
 * may decide for this action and project, expire a lane that has run out, load the current lane,
 * and refuse deciders that may not decide this run: the requester itself, a service that is not
 * a marked service approver, and principals tied to the requester (made it, or made by it).
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
    private readonly principals: PrincipalService,
  ) {}

  async loadLocked(principal: Principal, executionId: string, ctx: CommandContext, attempted: string): Promise<DecisionTarget | Refusal> {
    const run = await this.runs.getRunOrFail(executionId, { lock: true });
    this.access.assertVisible(principal, Permission.ApprovalDecide, run.project_id, notFound);
    const actionType = this.policy.getActionTypeOrFail(run.action);
    if (!principal.hasRoleOn(actionType.approverRoles, run.project_id)) {
      throw new IdentityException(
        IdentityErrorCode.Forbidden,
        needsApproverRole(actionType.code, actionType.approverRoles, run.project_id),
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
    const refusal = await this.principals.decisionRefusal({
      voter: ctx.actor.id,
      voterCredential: ctx.actor.credential ?? null,
      requester: run.requested_by,
      requesterCredential: run.requested_via,
    });
    if (refusal === 'self') {
      return this.refuse({ run, lane }, ctx, {
        type: AuditEventType.ApprovalSelfApprovalDenied,
        error: new ApprovalException(ApprovalErrorCode.SelfApprovalForbidden, SELF_APPROVAL),
        attempted,
      });
    }
    if (refusal) {
      return this.refuse({ run, lane }, ctx, {
        type: AuditEventType.ApprovalDeciderIneligible,
        error: new ApprovalException(ApprovalErrorCode.DeciderIneligible, INELIGIBLE[refusal], { reason: refusal }),
        attempted,
      });
    }
    if (lane.opened_by !== null && lane.opened_by === ctx.actor.id) {
      return this.refuse({ run, lane }, ctx, {
        type: AuditEventType.ApprovalDeciderIneligible,
        error: new ApprovalException(ApprovalErrorCode.DeciderIneligible, EDITED_THE_PLAN, { reason: 'edited_the_plan' }),
        attempted,
      });
    }
    return { run, lane, actionType };
  }

  /**
   * A decision is bound to what the approver saw: the plan_hash it names must be the run's plan
   * now (else 409 plan_changed, audited). At levels 2 and 3 it must name one (400 plan_hash_required);
   * at level 1 it may, unless someone other than the requester wrote the plan (the lane's opened_by):
   * then each decider says which plan it saw.
   */
  async refusePlanNotSeen(
    target: DecisionTarget,
    planHash: string | undefined,
    ctx: CommandContext,
    attempted: string,
  ): Promise<Refusal | null> {
    if (planHash === undefined) {
      if (target.run.approval_level < 2 && target.lane.opened_by === null) return null;
      throw new ApprovalException(
        ApprovalErrorCode.PlanHashRequired,
        target.run.approval_level < 2
          ? 'this plan was changed by someone other than its requester: a decision must name the plan_hash it was shown'
          : `a decision on a level-${target.run.approval_level} run must name the plan_hash it was shown`,
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
        ...(typeof refusal.error.details?.reason === 'string' ? { reason: refusal.error.details.reason } : {}),
      },
    });
    return new Refusal(refusal.error);
  }
}
