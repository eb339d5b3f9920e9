import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The row shape of approvals (snake_case, as RETURNING * gives it). One row per lane. */
export interface ApprovalRow {
  id: string;
  execution_run_id: string;
  lane: number;
  status: string;
  reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  plan_hash: string;
  policy_hash: string | null;
  required_approvals: number;
  expires_at: Date;
  deferred_until: Date | null;
  /** Level 3: the step this lane approves (null: the run, or its first step). */
  step_index: number | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

@Entity({ name: 'approvals' })
export class ApprovalEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'execution_run_id', type: 'uuid' }) executionRunId!: string;
  @Column({ type: 'integer' }) lane!: number;
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ name: 'decided_by', type: 'text', nullable: true }) decidedBy!: string | null;
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true }) decidedAt!: Date | null;
  @Column({ name: 'plan_hash', type: 'text' }) planHash!: string;
  @Column({ name: 'policy_hash', type: 'text', nullable: true }) policyHash!: string | null;
  @Column({ name: 'required_approvals', type: 'smallint' }) requiredApprovals!: number;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'deferred_until', type: 'timestamptz', nullable: true }) deferredUntil!: Date | null;
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export interface VoteRow {
  approval_id: string;
  principal_id: string;
  decision: string;
  reason: string | null;
  created_at: Date;
}
