import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Glossary
 * - grant: a single-use build authorization (seed 004), minted when an approval of an action
 *   with `mints_grant` commits; `auth_code` = `GBA-` + the run's id, so it can be minted once.
 * - consume: the one use of a grant, a compare-and-set from active to consumed.
 */
export interface GrantRow {
  auth_code: string;
  execution_run_id: string;
  approval_id: string;
  project_id: string;
  status: string;
  scope: { namespace: string; target: string; axis?: string | null };
  approval_ref: Record<string, unknown>;
  evidence: Record<string, unknown>;
  rollback_plan_ref: string;
  commit_allowed: boolean;
  ttl_seconds: number;
  granted_by: string;
  granted_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
  consumed_by: string | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoked_reason: string | null;
}

@Entity({ name: 'governance_grants' })
export class GrantEntity {
  @PrimaryColumn({ name: 'auth_code', type: 'text' }) authCode!: string;
  @Column({ name: 'execution_run_id', type: 'uuid' }) executionRunId!: string;
  @Column({ name: 'approval_id', type: 'uuid' }) approvalId!: string;
  @Column({ name: 'project_id', type: 'text' }) projectId!: string;
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'jsonb' }) scope!: Record<string, unknown>;
  @Column({ name: 'approval_ref', type: 'jsonb' }) approvalRef!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) evidence!: Record<string, unknown>;
  @Column({ name: 'rollback_plan_ref', type: 'text' }) rollbackPlanRef!: string;
  @Column({ name: 'commit_allowed', type: 'boolean' }) commitAllowed!: boolean;
  @Column({ name: 'ttl_seconds', type: 'integer' }) ttlSeconds!: number;
  @Column({ name: 'granted_by', type: 'text' }) grantedBy!: string;
  @Column({ name: 'granted_at', type: 'timestamptz' }) grantedAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt!: Date | null;
  @Column({ name: 'consumed_by', type: 'text', nullable: true }) consumedBy!: string | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revoked_by', type: 'text', nullable: true }) revokedBy!: string | null;
  @Column({ name: 'revoked_reason', type: 'text', nullable: true }) revokedReason!: string | null;
}

export function authCodeFor(executionRunId: string): string {
  return `GBA-${executionRunId}`;
}

export const AUTH_CODE_PATTERN = /^GBA-[A-Za-z0-9-]{1,64}$/;
