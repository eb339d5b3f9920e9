import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditEventType, runEvent } from '@lib/audit';
import { AccessService, Permission, Principal, PrincipalService } from '@lib/identity';
import { PolicyService } from '@lib/policy';
import {
  BlockedReason,
  computeFingerprint,
  ExecutionRunService,
  normalizeTargets,
  notFound,
  RUN_AXIS,
  RunStatus,
  WAITING_RUN_STATUSES,
} from '@lib/execution';
import { StatusMachineService } from '@lib/state-machine';
import { APPROVAL_AXIS, ApprovalStatus } from './approval-status';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalRepository } from './approval.repository';
import { MAX_PLAN_CHANGES } from './approval.tables';
import { ApprovalLaneService } from './approval-lane.service';
import { RunView } from './approval-summary';

export interface ReplacePlanInput {
  readonly executionId: string;
  readonly params: Record<string, unknown>;
  readonly targets: readonly string[];
}

/**
 * Approvals are bound to the plan. Replacing a waiting run's params and targets with a plan of
 * another hash invalidates its pending or approved lane and opens a new pending one; the run
 * goes back to BLOCKED / approval_pending. The same plan again changes nothing.
 *
 * The requester changes its plan; so may one who may decide the run (an approver editing an
 * agent's tool arguments before they run), and then the new lane is one it does not decide
 * (opened_by): someone else approves what it wrote.
 */
@Injectable()
export class PlanChangeService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessService,
    private readonly policy: PolicyService,
    private readonly runs: ExecutionRunService,
    private readonly lanes: ApprovalLaneService,
    private readonly fsm: StatusMachineService,
    private readonly principals: PrincipalService,
    private readonly approvals: ApprovalRepository,
  ) {}

  async replacePlan(principal: Principal, input: ReplacePlanInput, ctx: CommandContext): Promise<RunView & { changed: boolean }> {
    this.access.assertAllowed(principal, Permission.RunRead);
    const targets = normalizeTargets(input.targets);
    return this.uow.run(async () => {
      const run = await this.runs.getRunOrFail(input.executionId, { lock: true });
      this.access.assertVisible(principal, Permission.RunRead, run.project_id, notFound);
      const editor = run.requested_by === ctx.actor.id ? null : ctx.actor.id;
      if (editor === null) this.access.assertAllowed(principal, Permission.RunCreate, run.project_id);
      else await this.assertMayDecide(principal, run, ctx);
      const status = run.status as RunStatus;
      if (!WAITING_RUN_STATUSES.includes(status)) {
        throw new ApprovalException(ApprovalErrorCode.PlanLocked, `a ${run.status} run's plan can no longer change`, {
          status: run.status,
        });
      }
      // Once a worker has taken it (a level-3 run paused between steps, a run waiting for a retry),
      // some of its plan may have run: a new plan would mix with it. Cancel and request anew.
      if (run.attempt > 0) {
        throw new ApprovalException(
          ApprovalErrorCode.PlanLocked,
          'a run that has begun executing keeps its plan: cancel it and request a new one',
          {
            status: run.status,
            attempt: run.attempt,
          },
        );
      }
      const actionType = this.policy.getActionTypeOrFail(run.action);
      this.policy.assertScopeAllowed(actionType, { targets, params: input.params });
      const planHash = computeFingerprint({ action: run.action, params: input.params, targets });
      const lane = await this.lanes.currentRow(run.id);
      if (planHash === run.plan_hash) return { run, approval: lane ? await this.lanes.summarize(lane) : null, changed: false };

      // A run's plan changes a bounded number of times: each opens a lane and asks its approvers
      // again, and each is kept until the run is purged (the database holds the same bound).
      if ((await this.approvals.countPlanChanges(run.id)) >= MAX_PLAN_CHANGES) {
        throw new ApprovalException(
          ApprovalErrorCode.PlanChangeLimit,
          `this run's plan has changed ${MAX_PLAN_CHANGES} times: cancel it and request a new one`,
          { max_plan_changes: MAX_PLAN_CHANGES },
        );
      }
      const deferred = lane?.status === ApprovalStatus.Deferred;
      if (deferred && editor !== null) {
        throw new ApprovalException(ApprovalErrorCode.PlanLocked, 'a deferred run is edited by its requester only: reopen it first', {
          status: run.status,
        });
      }
      const changed = await this.fsm.transition({
        axis: RUN_AXIS,
        id: run.id,
        from: status,
        to: RunStatus.Blocked,
        set: {
          params: JSON.stringify(input.params),
          targets: JSON.stringify(targets),
          plan_hash: planHash,
          blocked_reason: deferred ? BlockedReason.ApprovalDeferred : BlockedReason.ApprovalPending,
        },
        expect: { plan_hash: run.plan_hash },
        audit: runEvent(AuditEventType.RunPlanChanged, run, ctx, {
          old_plan_hash: run.plan_hash,
          new_plan_hash: planHash,
          targets,
          from: run.status,
        }),
      });
      // What it replaced, for a reviewer's diff: kept beside the run (and purged with it), never in the trail.
      await this.approvals.recordPlanChange({
        runId: run.id,
        oldPlanHash: run.plan_hash,
        newPlanHash: planHash,
        oldParams: run.params,
        oldTargets: run.targets,
        changedBy: ctx.actor.id,
      });
      // A deferred lane stays deferred; reopening it later binds the new plan.
      if (deferred || !lane) return { run: changed, approval: lane ? await this.lanes.summarize(lane) : null, changed: true };
      if (lane.status === ApprovalStatus.Pending || lane.status === ApprovalStatus.Approved) {
        await this.fsm.transition({
          axis: APPROVAL_AXIS,
          id: lane.id,
          from: lane.status,
          to: ApprovalStatus.Invalidated,
          set: lane.status === ApprovalStatus.Pending ? { decided_by: SYSTEM_ACTOR.id, decided_at: DbTime.now() } : {},
          audit: runEvent(AuditEventType.ApprovalInvalidated, run, ctx, {
            approval_id: lane.id,
            lane: lane.lane,
            was: lane.status,
            old_plan_hash: run.plan_hash,
            new_plan_hash: planHash,
          }),
        });
      }
      const opened = await this.lanes.open(
        { run: changed, actionType, policyHash: this.policy.hash, ...(editor === null ? {} : { openedBy: editor }) },
        ctx,
      );
      return { ...opened, changed: true };
    });
  }

  /** One who is not the requester edits the plan only if it may decide the run (its role there, and no tie to the requester). */
  private async assertMayDecide(
    principal: Principal,
    run: { project_id: string; action: string; requested_by: string; requested_via: string | null },
    ctx: CommandContext,
  ): Promise<void> {
    const actionType = this.policy.getActionTypeOrFail(run.action);
    const refusal = principal.hasRoleOn(actionType.approverRoles, run.project_id)
      ? await this.principals.decisionRefusal({
          voter: ctx.actor.id,
          voterCredential: ctx.actor.credential ?? null,
          requester: run.requested_by,
          requesterCredential: run.requested_via,
        })
      : 'not_an_approver';
    if (refusal !== null) {
      throw new ApprovalException(
        ApprovalErrorCode.NotRequester,
        "only the run's requester, or one who may decide it, may change its plan",
        {
          reason: refusal,
        },
      );
    }
  }
}
