import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { DbTime } from '@lib/database';
import { AuditEventType, AuditService, runEvent } from '@lib/audit';
import { ActionType } from '@lib/policy';
import { ExecutionRunRow, RUN_AXIS, RunStatus } from '@lib/execution';
import { StatusMachineService } from '@lib/state-machine';
import { ApprovalRepository } from './approval.repository';
import { APPROVAL_AXIS, ApprovalStatus } from './approval-status';
import { ApprovalRow, VoteRow } from './approval.tables';
import { RunView, summarizeLane } from './approval-summary';

/** Opening lanes, and reading a run's current one. The caller holds the run's row lock when it writes. */
@Injectable()
export class ApprovalLaneService {
  constructor(
    private readonly audit: AuditService,
    private readonly fsm: StatusMachineService,
    private readonly approvals: ApprovalRepository,
  ) {}

  /**
   * Opens a new run's first lane (or the next one after a plan change), in the caller's
   * transaction. A level-0 action is approved at once by the system, so the run may come back RUN;
   * `holdMs` keeps such a run from the background workers that long (immediate mode: the request
   * that created it carries it out).
   */
  async open(
    input: { run: ExecutionRunRow; actionType: ActionType; policyHash: string; holdMs?: number; openedBy?: string },
    ctx: CommandContext,
  ): Promise<RunView> {
    const lane = await this.openLane({ ...input, ctx });
    // A lane just opened has no votes yet.
    if (input.actionType.approvalLevel !== 0) return { run: input.run, approval: summarizeLane(lane, []) };
    return this.autoApprove(input.run, lane, ctx, input.holdMs ?? 0);
  }

  /** Opens the next lane for a run (the caller holds the run's lock and has closed the previous lane). */
  async openLane(input: {
    run: ExecutionRunRow;
    actionType: ActionType;
    policyHash: string;
    ctx: CommandContext;
    stepIndex?: number;
    /** Who changed the plan this lane is for, when not the requester: it does not decide the lane. */
    openedBy?: string;
  }): Promise<ApprovalRow> {
    const lane = await this.approvals.insertNextLane({
      runId: input.run.id,
      planHash: input.run.plan_hash,
      policyHash: input.policyHash,
      requiredApprovals: input.actionType.requiredApprovals,
      ttlSeconds: input.actionType.approvalTtlSeconds,
      stepIndex: input.stepIndex ?? null,
      openedBy: input.openedBy ?? null,
    });
    await this.audit.record({
      type: AuditEventType.ApprovalRequested,
      ctx: input.ctx,
      projectId: input.run.project_id,
      executionRunId: input.run.id,
      data: {
        approval_id: lane.id,
        lane: lane.lane,
        plan_hash: lane.plan_hash,
        policy_hash: lane.policy_hash,
        required_approvals: lane.required_approvals,
        expires_at: lane.expires_at.toISOString(),
        ...(lane.step_index === null ? {} : { step_index: lane.step_index }),
        ...(lane.opened_by === null ? {} : { opened_by: lane.opened_by }),
      },
    });
    return lane;
  }

  /**
   * Level 3: the approved lane a step ran under is closed as executed (the caller then pauses the
   * run and opens the lane for the next step). The caller holds the run's lock.
   */
  async markExecuted(run: ExecutionRunRow, nextStep: number, ctx: CommandContext): Promise<void> {
    const lane = await this.approvals.approvedLane(run.id);
    if (!lane) return;
    await this.fsm.transition({
      axis: APPROVAL_AXIS,
      id: lane.id,
      from: ApprovalStatus.Approved,
      to: ApprovalStatus.Executed,
      audit: runEvent(AuditEventType.ApprovalExecuted, run, ctx, { approval_id: lane.id, next_step: nextStep }),
    });
  }

  /** Level 0 (read-only): approved by the system principal through the same FSM. */
  private async autoApprove(run: ExecutionRunRow, lane: ApprovalRow, ctx: CommandContext, holdMs: number): Promise<RunView> {
    const system = { actor: SYSTEM_ACTOR, requestId: ctx.requestId };
    const approved = await this.fsm.transition({
      axis: APPROVAL_AXIS,
      id: lane.id,
      from: ApprovalStatus.Pending,
      to: ApprovalStatus.Approved,
      set: { decided_by: SYSTEM_ACTOR.id, decided_at: DbTime.now() },
      audit: runEvent(AuditEventType.ApprovalAutoApproved, run, system, { approval_id: lane.id, approval_level: 0 }),
    });
    const moved = await this.fsm.transition({
      axis: RUN_AXIS,
      id: run.id,
      from: RunStatus.Blocked,
      to: RunStatus.Run,
      set: { blocked_reason: null, available_at: DbTime.inMs(holdMs) },
      audit: runEvent(AuditEventType.RunStatusChanged, run, system, { from: RunStatus.Blocked, to: RunStatus.Run, approval_id: lane.id }),
    });
    return { run: moved, approval: summarizeLane(approved, []) };
  }

  currentRow(executionRunId: string): Promise<ApprovalRow | null> {
    return this.approvals.currentLane(executionRunId);
  }

  votesFor(approvalId: string): Promise<VoteRow[]> {
    return this.approvals.votes(approvalId);
  }

  async summarize(row: ApprovalRow, knownVotes?: readonly VoteRow[]): Promise<RunView['approval']> {
    return summarizeLane(row, knownVotes ?? (await this.approvals.votes(row.id)));
  }
}
