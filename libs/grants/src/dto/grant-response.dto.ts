import { ApiProperty } from '@nestjs/swagger';
import { GrantRow } from '../grant.table';

export class GrantResponseDto {
  @ApiProperty({ example: 'GBA-6f1c…' }) auth_code!: string;
  @ApiProperty({ format: 'uuid' }) execution_id!: string;
  @ApiProperty({ format: 'uuid' }) approval_id!: string;
  @ApiProperty() project_id!: string;
  @ApiProperty({ enum: ['active', 'consumed', 'revoked', 'expired'] }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{namespace, axis, target}' }) scope!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '{approval_id, quorum, approvals, required_approvals, plan_hash, policy_hash}',
  })
  approval_ref!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '{plan_ref, plan_hash, step_name, owner, mode: "dry-run"}' })
  evidence!: Record<string, unknown>;
  @ApiProperty() rollback_plan_ref!: string;
  @ApiProperty({ description: 'Always false: these grants never allow a real commit' }) commit_allowed!: boolean;
  @ApiProperty() ttl_seconds!: number;
  @ApiProperty() granted_by!: string;
  @ApiProperty({ format: 'date-time' }) granted_at!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) consumed_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) consumed_by!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revoked_at!: string | null;
  revoked_by!: string | null;
  revoked_reason!: string | null;

  static from(grant: GrantRow): GrantResponseDto {
    return {
      auth_code: grant.auth_code,
      execution_id: grant.execution_run_id,
      approval_id: grant.approval_id,
      project_id: grant.project_id,
      status: grant.status,
      scope: grant.scope,
      approval_ref: grant.approval_ref,
      evidence: grant.evidence,
      rollback_plan_ref: grant.rollback_plan_ref,
      commit_allowed: grant.commit_allowed,
      ttl_seconds: grant.ttl_seconds,
      granted_by: grant.granted_by,
      granted_at: grant.granted_at.toISOString(),
      expires_at: grant.expires_at.toISOString(),
      consumed_at: grant.consumed_at?.toISOString() ?? null,
      consumed_by: grant.consumed_by,
      revoked_at: grant.revoked_at?.toISOString() ?? null,
      revoked_by: grant.revoked_by,
      revoked_reason: grant.revoked_reason,
    };
  }
}
