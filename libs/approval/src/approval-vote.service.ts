import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { DbTime, Refusal, UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService, runEvent } from '@lib/audit';
import { AccessService, Permission, Principal, PrincipalService } from '@lib/identity';
import { RUN_AXIS, RunStatus } from '@lib/execution';
import { StatusMachineService } from '@lib/state-machine';
import { ApprovalRepository } from './approval.repository';
import { APPROVAL_AXIS, ApprovalStatus } from './approval-status';
import { ApprovalRow } from './approval.tables';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { RunView, summarizeLane } from './approval-summary';
import { DecisionSupportService, DecisionTarget } from './decision-support.service';

export type Vote = 'approve' | 'reject';

export interface VoteInput {
  readonly executionId: string;
  readonly decision: Vote;
  readonly reason?: string;
  /** The plan the approver was shown (required at levels 2 and 3). */
  readonly planHash?: string;
}

export interface VoteResult {
  readonly view: RunView;
  /** Set when this vote reached the quorum: what the caller may act on after the commit. */
  readonly approved?: DecisionTarget & { lane: ApprovalRow };
  /** Set when this vote decided the lane (approved or rejected): the lane as closed, with its level. */
  readonly decided?: { readonly lane: ApprovalRow; readonly approvalLevel: number };
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
    private readonly approvals: ApprovalRepository,
    private readonly support: DecisionSupportService,
    private readonly principals: PrincipalService,
  ) {}

  async vote(principal: Principal, input: VoteInput, ctx: CommandContext): Promise<VoteResult> {
    this.access.assertAllowed(principal, Permission.ApprovalDecide);
    return this.uow.run(async (): Promise<VoteResult | Refusal> => {
      const target = await this.support.loadLocked(principal, input.executionId, ctx, input.decision);
      if (target instanceof Refusal) return target;
      if (target.lane.status !== ApprovalStatus.Pending) return this.support.refuseClosedLane(target, ctx, input.decision);
      const notSeen = await this.support.refusePlanNotSeen(target, input.planHash, ctx, input.decision);
      if (notSeen) return notSeen;
      const counted = await this.approvals.insertVote({
        approvalId: target.lane.id,
        runId: target.run.id,
        principalId: ctx.actor.id,
        decision: input.decision,
        reason: input.reason ?? null,
        credential: ctx.actor.credential ?? null,
      });
      if (!counted) {
        return this.support.refuse(target, ctx, {
          type: AuditEventType.ApprovalDuplicateVote,
          error: new ApprovalException(ApprovalErrorCode.AlreadyVoted, 'this key has already voted on this approval'),
          attempted: input.decision,
        });
      }
      return this.tally(target, input, ctx);
    });
  }

  /** Records the vote and, when it decides the lane, makes the transitions. */
  private async tally(target: DecisionTarget, input: VoteInput, ctx: CommandContext): Promise<VoteResult> {
    const { run, lane } = target;
    const votes = await this.approvals.votes(lane.id);
    // Only votes whose voter may still decide count (one disabled since its vote does not); the
    // voters are held until the commit, so a disable racing this vote comes before the count or after it.
    await this.principals.hold(votes.map((vote) => vote.principal_id));
    const approvals = await this.approvals.countedApprovals(lane.id);
    await this.audit.record(
      runEvent(AuditEventType.ApprovalVoteCast, run, ctx, {
        approval_id: lane.id,
        lane: lane.lane,
        decision: input.decision,
        reason: input.reason ?? null,
        approvals,
        required: lane.required_approvals,
      }),
    );
    if (input.decision === 'reject') {
      const { view, closed } = await this.close(target, 'reject', input.reason ?? null, ctx);
      return { view, decided: { lane: closed, approvalLevel: run.approval_level } };
    }
    if (approvals < lane.required_approvals) return { view: { run, approval: summarizeLane(lane, votes) } };
    const { view, closed } = await this.close(target, 'approve', input.reason ?? null, ctx);
    return { view, approved: { ...target, run: view.run, lane: closed }, decided: { lane: closed, approvalLevel: run.approval_level } };
  }

  private async close(
    target: DecisionTarget,
    decision: Vote,
    reason: string | null,
    ctx: CommandContext,
  ): Promise<{ view: RunView; closed: ApprovalRow }> {
    const { run, lane } = target;
    const approve = decision === 'approve';
    const closed = await this.fsm.transition({
      axis: APPROVAL_AXIS,
      id: lane.id,
      from: ApprovalStatus.Pending,
      to: approve ? ApprovalStatus.Approved : ApprovalStatus.Rejected,
      set: { reason, decided_by: ctx.actor.id, decided_at: DbTime.now() },
      audit: runEvent(approve ? AuditEventType.ApprovalApproved : AuditEventType.ApprovalRejected, run, ctx, {
        approval_id: lane.id,
        lane: lane.lane,
        reason,
        plan_hash: lane.plan_hash,
        policy_hash: lane.policy_hash,
        required_approvals: lane.required_approvals,
      }),
    });
    const to = approve ? RunStatus.Run : RunStatus.Rejected;
    const moved = await this.fsm.transition({
      axis: RUN_AXIS,
      id: run.id,
      from: RunStatus.Blocked,
      to,
      set: { blocked_reason: null },
      audit: runEvent(AuditEventType.RunStatusChanged, run, ctx, { from: RunStatus.Blocked, to, approval_id: lane.id }),
    });
    return { view: { run: moved, approval: summarizeLane(closed, await this.approvals.votes(closed.id)) }, closed };
  }
}
