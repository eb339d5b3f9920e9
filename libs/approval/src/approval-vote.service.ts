import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { Refusal, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/governance';
import { ApprovalStatus, ExecutionRunRow, RunStatus, RunView, StatusMachineService } from '@lib/execution';
import { ApprovalRow } from './approval.entity';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalEvents } from './approval-events';
import { ApprovalExpiryService } from './approval-expiry.service';
import { ApprovalLaneService } from './approval-lane.service';
import { DecisionSupportService, DecisionTarget } from './decision-support.service';

export type Vote = 'approve' | 'reject';

export interface VoteInput {
  readonly executionId: string;
  readonly decision: Vote;
  readonly reason?: string;
}

interface VoteResult {
  readonly view: RunView;
  readonly approved?: { run: ExecutionRunRow; lane: ApprovalRow; target: DecisionTarget };
}

/**
 * Votes on a run's pending lane. Each vote is its own append-only row; the lane becomes approved
 * when `required_approvals` distinct approvers have approved, and any one rejection rejects it
 * (veto). The run row is locked first, so concurrent votes serialize: of two votes that reach
 * the quorum together, exactly one makes the transition.
 */
@Injectable()
export class ApprovalVoteService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly fsm: StatusMachineService,
    private readonly lanes: ApprovalLaneService,
    private readonly expiry: ApprovalExpiryService,
    private readonly support: DecisionSupportService,
    private readonly events: ApprovalEvents,
  ) {}

  async vote(principal: Principal, input: VoteInput, ctx: CommandContext): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.ApprovalDecide);
    // The lazy guard: an overdue lane is expired in its own transaction first.
    await this.expiry.expireIfOverdue(input.executionId, ctx.requestId);
    const result = await this.uow.run(async (): Promise<VoteResult | Refusal> => {
      const target = await this.support.loadLocked(principal, input.executionId, ctx, input.decision);
      if (target instanceof Refusal) return target;
      if (target.lane.status !== ApprovalStatus.Pending) return this.support.refuseClosedLane(target, ctx, input.decision);
      const inserted = await this.uow.query(
        `INSERT INTO approval_decisions (approval_id, execution_run_id, principal_id, decision, reason)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (approval_id, principal_id) DO NOTHING RETURNING id`,
        [target.lane.id, target.run.id, ctx.actor.id, input.decision, input.reason ?? null],
      );
      if (inserted.length === 0) {
        return this.support.refuse(target, ctx, {
          type: AuditEventType.ApprovalDuplicateVote,
          error: new ApprovalException(ApprovalErrorCode.AlreadyVoted, 'this key has already voted on this approval'),
          attempted: input.decision,
        });
      }
      return this.tally(target, input, ctx);
    });
    if (result.approved) {
      const { run, lane, target } = result.approved;
      await this.events.approved({ run, approval: lane, actionType: target.actionType, requestId: ctx.requestId });
    }
    return result.view;
  }

  /** Records the vote and, when it decides the lane, makes the transitions. */
  private async tally(target: DecisionTarget, input: VoteInput, ctx: CommandContext): Promise<VoteResult> {
    const { run, lane } = target;
    const votes = await this.lanes.votesFor(lane.id);
    const approvals = votes.filter((vote) => vote.decision === 'approve').length;
    await this.audit.record({
      type: AuditEventType.ApprovalVoteCast,
      ctx,
      projectId: run.project_id,
      executionRunId: run.id,
      data: {
        approval_id: lane.id,
        lane: lane.lane,
        decision: input.decision,
        reason: input.reason ?? null,
        approvals,
        required: lane.required_approvals,
      },
    });
    if (input.decision === 'reject') return { view: (await this.close(target, 'reject', input.reason ?? null, ctx)).view };
    if (approvals < lane.required_approvals) {
      return { view: { run, approval: await this.lanes.summarize(lane) } };
    }
    const { view, closed } = await this.close(target, 'approve', input.reason ?? null, ctx);
    return { view, approved: { run: view.run, lane: closed, target } };
  }

  private async close(
    target: DecisionTarget,
    decision: Vote,
    reason: string | null,
    ctx: CommandContext,
  ): Promise<{ view: RunView; closed: ApprovalRow }> {
    const { run, lane } = target;
    const approve = decision === 'approve';
    const closed = await this.fsm.transition<ApprovalRow>({
      axis: 'approval',
      id: lane.id,
      from: ApprovalStatus.Pending,
      to: approve ? ApprovalStatus.Approved : ApprovalStatus.Rejected,
      set: { reason, decided_by: ctx.actor.id, decided_at: new Date() },
      audit: {
        type: approve ? AuditEventType.ApprovalApproved : AuditEventType.ApprovalRejected,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: {
          approval_id: lane.id,
          lane: lane.lane,
          reason,
          plan_hash: lane.plan_hash,
          policy_hash: lane.policy_hash,
          required_approvals: lane.required_approvals,
        },
      },
    });
    const to = approve ? RunStatus.Run : RunStatus.Rejected;
    const moved = await this.fsm.transition<ExecutionRunRow>({
      axis: 'run',
      id: run.id,
      from: RunStatus.Blocked,
      to,
      set: { blocked_reason: null },
      audit: {
        type: AuditEventType.RunStatusChanged,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { from: RunStatus.Blocked, to, approval_id: lane.id },
      },
    });
    return { view: { run: moved, approval: await this.lanes.summarize(closed) }, closed };
  }
}
