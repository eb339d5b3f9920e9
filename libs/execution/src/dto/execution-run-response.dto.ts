import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AuditEventEntity } from '@lib/audit';
import { ApprovalSummary } from '../run-approval-gate';
import { RunView } from '../execution-run.service';
import { ApprovalStatus, BlockedReason, RunStatus } from '../run-status';

export class ApprovalSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ApprovalStatus }) status!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'API key id of the decider' }) decided_by!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) decided_at!: string | null;

  static from(approval: ApprovalSummary): ApprovalSummaryDto {
    return {
      id: approval.id,
      status: approval.status,
      reason: approval.reason,
      decided_by: approval.decidedBy,
      decided_at: approval.decidedAt ? approval.decidedAt.toISOString() : null,
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
  @ApiProperty({ pattern: '^[0-9a-f]{64}$' }) fingerprint!: string;
  @ApiPropertyOptional({ description: 'Present on create: true when an identical earlier request is returned' }) dedup_hit?: boolean;
  @ApiProperty({ type: ApprovalSummaryDto, nullable: true }) approval!: ApprovalSummaryDto | null;
  @ApiProperty({ description: 'API key id of the requester' }) requested_by!: string;
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
      ...(dedupHit === undefined ? {} : { dedup_hit: dedupHit }),
      approval: approval ? ApprovalSummaryDto.from(approval) : null,
      requested_by: run.requested_by,
      created_at: run.created_at.toISOString(),
      updated_at: run.updated_at.toISOString(),
    };
  }
}

export class AuditEventDto {
  @ApiProperty({ description: 'Position in the global audit log' }) id!: string;
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'run.created' }) type!: string;
  @ApiProperty({ description: 'API key id, or "system"' }) actor!: string;
  @ApiProperty({ nullable: true, type: String }) request_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) project_id!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) execution_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) occurred_at!: string;

  static from(event: AuditEventEntity): AuditEventDto {
    return {
      id: event.id,
      event_id: event.eventId,
      type: event.eventType,
      actor: event.actor,
      request_id: event.requestId,
      project_id: event.projectId,
      execution_id: event.executionRunId,
      data: event.data,
      occurred_at: new Date(event.occurredAt).toISOString(),
    };
  }
}

export class ExecutionEventsResponseDto {
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty({ type: [AuditEventDto], description: 'Oldest first' }) events!: AuditEventDto[];
}
