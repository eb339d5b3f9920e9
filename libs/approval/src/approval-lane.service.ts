import { Injectable } from '@nestjs/common';
import { CommandContext, SYSTEM_ACTOR } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { ActionType } from '@lib/governance';
import { ApprovalStatus, ApprovalSummary, ExecutionRunRow, RunApprovalGate, RunStatus, StatusMachineService } from '@lib/execution';
import { ApprovalRow, VoteRow } from './approval.entity';
import { ApprovalExpiryService } from './approval-expiry.service';

/**
 * Glossary
 * - lane: one approval record of a run. A run's first lane opens with it; a plan change or a
 *   reopen after deferral opens the next one. The latest lane is the run's current approval.
 * - open lane: a pending or approved lane (at most one per run, by a partial unique index).
 * - vote: one approver's approve or reject on a pending lane (approval_decisions, append-only).
 */
@Injectable()
export class ApprovalLaneService implements RunApprovalGate {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly fsm: StatusMachineService,
    private readonly expiry: ApprovalExpiryService,
  ) {}

  async open(
    input: { run: ExecutionRunRow; actionType: ActionType; policyHash: string },
    ctx: CommandContext,
  ): Promise<{ run: ExecutionRunRow; approval: ApprovalSummary }> {
    const lane = await this.openLane({ ...input, ctx });
    // A lane just opened has no votes yet.
    if (input.actionType.approvalLevel !== 0) return { run: input.run, approval: await this.summarize(lane, []) };
    return this.autoApprove(input.run, lane, ctx);
  }

  /** Opens the next lane for a run (the caller holds the run's lock and has closed the previous lane). */
  async openLane(input: {
    run: ExecutionRunRow;
    actionType: ActionType;
    policyHash: string;
    ctx: CommandContext;
    stepIndex?: number;
  }): Promise<ApprovalRow> {
    const [lane] = await this.uow.query<ApprovalRow>(
      `INSERT INTO approvals (execution_run_id, lane, status, plan_hash, policy_hash, required_approvals, expires_at, step_index)
       SELECT $1, coalesce(max(lane), 0) + 1, 'pending', $2, $3, $4, now() + make_interval(secs => $5), $6::int
       FROM approvals WHERE execution_run_id = $1
       RETURNING *`,
      [
        input.run.id,
        input.run.plan_hash,
        input.policyHash,
        input.actionType.requiredApprovals,
        input.actionType.approvalTtlSeconds,
        input.stepIndex ?? null,
      ],
    );
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
      },
    });
    return lane;
  }

  /** Level 0 (read-only): approved by the system principal through the same FSM. */
  private async autoApprove(
    run: ExecutionRunRow,
    lane: ApprovalRow,
    ctx: CommandContext,
  ): Promise<{ run: ExecutionRunRow; approval: ApprovalSummary }> {
    const system = { actor: SYSTEM_ACTOR, requestId: ctx.requestId };
    const approved = await this.fsm.transition<ApprovalRow>({
      axis: 'approval',
      id: lane.id,
      from: ApprovalStatus.Pending,
      to: ApprovalStatus.Approved,
      set: { decided_by: SYSTEM_ACTOR.id, decided_at: new Date() },
      audit: {
        type: AuditEventType.ApprovalAutoApproved,
        ctx: system,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { approval_id: lane.id, approval_level: 0 },
      },
    });
    const moved = await this.fsm.transition<ExecutionRunRow>({
      axis: 'run',
      id: run.id,
      from: RunStatus.Blocked,
      to: RunStatus.Run,
      set: { blocked_reason: null },
      audit: {
        type: AuditEventType.RunStatusChanged,
        ctx: system,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { from: RunStatus.Blocked, to: RunStatus.Run, approval_id: lane.id },
      },
    });
    return { run: moved, approval: await this.summarize(approved, []) };
  }

  async currentFor(executionRunId: string): Promise<ApprovalSummary | null> {
    const row = await this.currentRow(executionRunId);
    return row ? this.summarize(row) : null;
  }

  expireIfOverdue(executionRunId: string): Promise<boolean> {
    return this.expiry.expireIfOverdue(executionRunId);
  }

  async readView(
    where: { id: string } | { projectId: string; idempotencyKey: string },
  ): Promise<{ run: ExecutionRunRow; approval: ApprovalSummary | null; overdue: boolean } | null> {
    const [condition, values] =
      'id' in where ? ['r.id = $1', [where.id]] : ['r.project_id = $1 AND r.idempotency_key = $2', [where.projectId, where.idempotencyKey]];
    const rows = await this.uow.query<ExecutionRunRow & { lane: LaneJson | null; overdue: boolean; votes: VoteJson[] }>(
      `SELECT r.*, to_jsonb(a) AS lane,
              coalesce(a.status IN ('pending', 'approved') AND a.expires_at <= now() AND r.status IN ('BLOCKED', 'RUN'), false) AS overdue,
              coalesce((SELECT json_agg(json_build_object('approval_id', d.approval_id, 'principal_id', d.principal_id, 'decision', d.decision,
                                                          'reason', d.reason, 'created_at', d.created_at) ORDER BY d.id)
                        FROM approval_decisions d WHERE d.approval_id = a.id), '[]') AS votes
       FROM execution_runs r
       LEFT JOIN LATERAL (SELECT * FROM approvals WHERE execution_run_id = r.id ORDER BY lane DESC LIMIT 1) a ON true
       WHERE ${condition}`,
      values,
    );
    if (rows.length === 0) return null;
    const { lane, overdue, votes, ...run } = rows[0];
    const approval = lane
      ? await this.summarize(
          laneFromJson(lane),
          votes.map((vote) => ({ ...vote, created_at: new Date(vote.created_at) })),
        )
      : null;
    return { run: run, approval, overdue };
  }

  async currentRow(executionRunId: string): Promise<ApprovalRow | null> {
    const rows = await this.uow.query<ApprovalRow>(`SELECT * FROM approvals WHERE execution_run_id = $1 ORDER BY lane DESC LIMIT 1`, [
      executionRunId,
    ]);
    return rows[0] ?? null;
  }

  votesFor(approvalId: string): Promise<VoteRow[]> {
    return this.uow.query<VoteRow>(
      `SELECT approval_id, principal_id, decision, reason, created_at FROM approval_decisions WHERE approval_id = $1 ORDER BY id`,
      [approvalId],
    );
  }

  async summarize(row: ApprovalRow, knownVotes?: VoteRow[]): Promise<ApprovalSummary> {
    const votes = knownVotes ?? (await this.votesFor(row.id));
    return {
      id: row.id,
      lane: row.lane,
      status: row.status,
      reason: row.reason,
      decidedBy: row.decided_by,
      decidedAt: row.decided_at,
      planHash: row.plan_hash,
      policyHash: row.policy_hash,
      requiredApprovals: row.required_approvals,
      votes: votes.map((vote) => ({ principalId: vote.principal_id, decision: vote.decision, reason: vote.reason, at: vote.created_at })),
      expiresAt: row.expires_at,
      deferredUntil: row.deferred_until,
      stepIndex: row.step_index ?? null,
    };
  }
}

type LaneJson = Omit<ApprovalRow, 'decided_at' | 'expires_at' | 'deferred_until' | 'created_at' | 'updated_at'> &
  Record<'decided_at' | 'expires_at' | 'deferred_until' | 'created_at' | 'updated_at', string | null>;
type VoteJson = Omit<VoteRow, 'created_at'> & { created_at: string };

/** A lane read through to_jsonb: its timestamps arrive as text. */
function laneFromJson(lane: LaneJson): ApprovalRow {
  const date = (value: string | null) => (value === null ? null : new Date(value));
  return {
    ...lane,
    decided_at: date(lane.decided_at),
    expires_at: new Date(lane.expires_at as string),
    deferred_until: date(lane.deferred_until),
    created_at: new Date(lane.created_at as string),
    updated_at: new Date(lane.updated_at as string),
  };
}
