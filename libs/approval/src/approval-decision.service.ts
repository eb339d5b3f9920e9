import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/governance';
import {
  ApprovalStatus,
  ExecutionRunRow,
  ExecutionRunService,
  RunStatus,
  RunView,
  StatusMachineService,
} from '@lib/execution';
import { ApprovalRow } from './approval.entity';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalLaneService, toSummary } from './approval-lane.service';

export type Decision = 'approve' | 'reject';

export interface DecideInput {
  readonly executionId: string;
  readonly decision: Decision;
  readonly reason?: string;
}

type DecideOutcome =
  | { kind: 'decided'; view: RunView }
  | { kind: 'refused'; error: ApprovalException };

const DECISION: Readonly<Record<Decision, { approval: ApprovalStatus; run: RunStatus; event: AuditEventType }>> = {
  approve: { approval: ApprovalStatus.Approved, run: RunStatus.Run, event: AuditEventType.ApprovalApproved },
  reject: { approval: ApprovalStatus.Rejected, run: RunStatus.Rejected, event: AuditEventType.ApprovalRejected },
};

/**
 * Approve or reject a run's pending approval. The run row is locked first, so two racing
 * decisions serialize and exactly one finds the approval pending. Refusals (self-approval, an
 * approval already decided) are audited and committed before the error is raised.
 */
@Injectable()
export class ApprovalDecisionService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly runs: ExecutionRunService,
    private readonly lanes: ApprovalLaneService,
    private readonly fsm: StatusMachineService,
  ) {}

  async decide(principal: Principal, input: DecideInput, ctx: CommandContext): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.ApprovalDecide);
    const outcome = await this.uow.run(async (): Promise<DecideOutcome> => {
      const run = await this.runs.getRunOrFail(input.executionId, { lock: true });
      this.access.assertAllowed(principal, Permission.ApprovalDecide, run.project_id);
      const approval = await this.lanes.currentRow(run.id);
      if (!approval) {
        throw new ApprovalException(ApprovalErrorCode.ApprovalMissing, 'this run has no approval');
      }
      if (run.requested_by === ctx.actor.id) {
        return this.refuse(run, approval, ctx, {
          type: AuditEventType.ApprovalSelfApprovalDenied,
          error: new ApprovalException(ApprovalErrorCode.SelfApprovalForbidden, 'the requester of a run may not decide its approval'),
          decision: input.decision,
        });
      }
      if (approval.status !== ApprovalStatus.Pending) {
        return this.refuse(run, approval, ctx, {
          type: AuditEventType.ApprovalDecisionConflict,
          error: new ApprovalException(ApprovalErrorCode.ApprovalAlreadyDecided, `the approval is already ${approval.status}`, {
            approval_status: approval.status,
          }),
          decision: input.decision,
        });
      }
      return { kind: 'decided', view: await this.apply(run, approval, input, ctx) };
    });
    if (outcome.kind === 'refused') throw outcome.error;
    return outcome.view;
  }

  private async apply(run: ExecutionRunRow, approval: ApprovalRow, input: DecideInput, ctx: CommandContext): Promise<RunView> {
    const target = DECISION[input.decision];
    const reason = input.reason ?? null;
    const decided = await this.fsm.transition<ApprovalRow>({
      axis: 'approval',
      id: approval.id,
      from: ApprovalStatus.Pending,
      to: target.approval,
      set: { reason, decided_by: ctx.actor.id, decided_at: new Date() },
      audit: {
        type: target.event,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { approval_id: approval.id, reason },
      },
    });
    const moved = await this.fsm.transition<ExecutionRunRow>({
      axis: 'run',
      id: run.id,
      from: RunStatus.Blocked,
      to: target.run,
      set: { blocked_reason: null },
      audit: {
        type: AuditEventType.RunStatusChanged,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { from: RunStatus.Blocked, to: target.run, approval_id: approval.id },
      },
    });
    return { run: moved, approval: toSummary(decided) };
  }

  private async refuse(
    run: ExecutionRunRow,
    approval: ApprovalRow,
    ctx: CommandContext,
    refusal: { type: AuditEventType; error: ApprovalException; decision: Decision },
  ): Promise<DecideOutcome> {
    await this.audit.record({
      type: refusal.type,
      ctx,
      projectId: run.project_id,
      executionRunId: run.id,
      data: { approval_id: approval.id, approval_status: approval.status, attempted: refusal.decision },
    });
    return { kind: 'refused', error: refusal.error };
  }
}
