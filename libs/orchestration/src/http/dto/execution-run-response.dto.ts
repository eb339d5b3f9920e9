import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AuditEventDto } from '@lib/audit';
import { ApprovalStatus, ApprovalSummary, RunView } from '@lib/approval';
import { BlockedReason, ExecutionRunRow, RunStatus } from '@lib/execution';

export class VoteDto {
  @ApiProperty({ format: 'uuid', description: 'The principal who voted (a person or a service)' }) principal_id!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The credential it voted with: api_key:<id> or oidc:<token id>' })
  credential!: string | null;
  @ApiProperty({ enum: ['approve', 'reject'] }) decision!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class ApprovalSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Lane number: 1 for the first approval, +1 for each reopen or plan change' }) lane!: number;
  @ApiProperty({ enum: ApprovalStatus }) status!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'API key id of the decider, or "system"' }) decided_by!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) decided_at!: string | null;
  @ApiProperty({ description: 'The plan hash this approval is for' }) plan_hash!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Hash of the policy that governed it' }) policy_hash!: string | null;
  @ApiProperty({ description: 'Quorum' }) required_approvals!: number;
  @ApiProperty({ description: 'Approving votes so far' }) approvals_received!: number;
  @ApiProperty({ description: 'Approving votes still needed' }) approvals_needed!: number;
  @ApiProperty({ type: [VoteDto] }) votes!: VoteDto[];
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deferred_until!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Level 3: the step this approval is for' }) step_index!: number | null;

  static from(approval: ApprovalSummary): ApprovalSummaryDto {
    const received = approval.votes.filter((vote) => vote.decision === 'approve').length;
    return {
      id: approval.id,
      lane: approval.lane,
      status: approval.status,
      reason: approval.reason,
      decided_by: approval.decidedBy,
      decided_at: approval.decidedAt ? approval.decidedAt.toISOString() : null,
      plan_hash: approval.planHash,
      policy_hash: approval.policyHash,
      required_approvals: approval.requiredApprovals,
      approvals_received: received,
      approvals_needed: approval.status === ApprovalStatus.Pending ? Math.max(0, approval.requiredApprovals - received) : 0,
      votes: approval.votes.map((vote) => ({
        principal_id: vote.principalId,
        credential: vote.credential,
        decision: vote.decision,
        reason: vote.reason,
        at: vote.at.toISOString(),
      })),
      expires_at: approval.expiresAt.toISOString(),
      deferred_until: approval.deferredUntil ? approval.deferredUntil.toISOString() : null,
      step_index: approval.stepIndex,
    };
  }
}

export class RunExecutionDto {
  @ApiProperty({ description: 'Attempts started so far' }) attempt!: number;
  @ApiProperty() max_attempts!: number;
  @ApiProperty({ nullable: true, type: String, description: 'The worker holding the lease' }) worker_id!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lease_expires_at!: string | null;
  @ApiProperty() lease_renewals!: number;
  @ApiProperty({ nullable: true, type: Number }) timeout_seconds!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deadline_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finished_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) cancel_requested_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) cancelled_by!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) cancelled_at!: string | null;
  @ApiProperty() cancel_checks_performed!: number;
  @ApiProperty({ nullable: true, description: 'The handler results (10 KiB at most; larger ones are truncated with a marker)' })
  result!: unknown;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;

  static from(run: ExecutionRunRow): RunExecutionDto {
    const iso = (value: Date | null | undefined) => (value ? value.toISOString() : null);
    return {
      attempt: run.attempt,
      max_attempts: run.max_attempts,
      worker_id: run.worker_id,
      lease_expires_at: iso(run.lease_expires_at),
      lease_renewals: run.lease_renewals,
      timeout_seconds: run.timeout_seconds,
      deadline_at: iso(run.deadline_at),
      started_at: iso(run.started_at),
      finished_at: iso(run.finished_at),
      cancel_requested_at: iso(run.cancel_requested_at),
      cancelled_by: run.cancelled_by,
      cancelled_at: iso(run.cancelled_at),
      cancel_checks_performed: run.cancel_checks_performed,
      result: run.result ?? null,
      last_error: run.last_error,
    };
  }
}

export class ExecutionRunResponseDto {
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty() project_id!: string;
  @ApiProperty() idempotency_key!: string;
  @ApiProperty() action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({ type: [String], description: 'De-duplicated and sorted' }) targets!: string[];
  @ApiProperty({ enum: RunStatus }) status!: string;
  @ApiProperty({ enum: BlockedReason, nullable: true }) blocked_reason!: string | null;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'Of the create request; decides dedup vs idempotency_conflict' })
  fingerprint!: string;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'Of the current plan {action, params, targets}; approvals are bound to it' })
  plan_hash!: string;
  @ApiProperty({ enum: [0, 1, 2, 3] }) approval_level!: number;
  @ApiProperty({ nullable: true, type: String }) policy_hash!: string | null;
  @ApiPropertyOptional({ description: 'Present on create: true when an identical earlier request is returned' }) dedup_hit?: boolean;
  @ApiProperty({ type: ApprovalSummaryDto, nullable: true }) approval!: ApprovalSummaryDto | null;
  @ApiProperty({ type: RunExecutionDto, description: 'How the run is being (or was) carried out' }) execution!: RunExecutionDto;
  @ApiProperty({ description: 'The principal who requested the run (a person or a service)' }) requested_by!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The credential it requested with: api_key:<id> or oidc:<token id>' })
  requested_via!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;

  static from(view: RunView, dedupHit?: boolean): ExecutionRunResponseDto {
    const { run, approval } = view;
    return {
      execution_id: run.id,
      project_id: run.project_id,
      idempotency_key: run.idempotency_key,
      action: run.action,
      params: run.params,
      targets: run.targets,
      status: run.status,
      blocked_reason: run.blocked_reason,
      fingerprint: run.fingerprint,
      plan_hash: run.plan_hash,
      approval_level: run.approval_level,
      policy_hash: run.policy_hash,
      ...(dedupHit === undefined ? {} : { dedup_hit: dedupHit }),
      approval: approval ? ApprovalSummaryDto.from(approval) : null,
      execution: RunExecutionDto.from(run),
      requested_by: run.requested_by,
      requested_via: run.requested_via,
      created_at: run.created_at.toISOString(),
      updated_at: run.updated_at.toISOString(),
    };
  }
}

export class ExecutionEventsResponseDto {
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty({ type: [AuditEventDto], description: 'Oldest first' }) events!: AuditEventDto[];
  @ApiProperty({
    description:
      'The run had ended for good (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, REJECTED, EXPIRED, RECORDED) before these events were read: they include its last one, and a wait answers at once. Stop polling',
  })
  ended!: boolean;
}
