import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The row shape of execution_runs (snake_case, as returned by RETURNING * and SELECT *). */
export interface ExecutionRunRow {
  id: string;
  project_id: string;
  idempotency_key: string;
  action: string;
  params: Record<string, unknown>;
  targets: string[];
  fingerprint: string;
  plan_hash: string;
  approval_level: number;
  policy_hash: string | null;
  status: string;
  blocked_reason: string | null;
  requested_by: string;
  attempt: number;
  max_attempts: number;
  available_at: Date;
  worker_id: string | null;
  lease_expires_at: Date | null;
  lease_renewals: number;
  sla_class: string;
  timeout_seconds: number | null;
  deadline_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  cancel_requested_at: Date | null;
  cancel_requested_by: string | null;
  cancel_reason: string | null;
  cancelled_by: string | null;
  cancelled_at: Date | null;
  cancel_checks_performed: number;
  result: unknown;
  last_error: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

@Entity({ name: 'execution_runs' })
export class ExecutionRunEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'project_id', type: 'text' }) projectId!: string;
  @Column({ name: 'idempotency_key', type: 'text' }) idempotencyKey!: string;
  @Column({ type: 'text' }) action!: string;
  @Column({ type: 'jsonb' }) params!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) targets!: string[];
  @Column({ type: 'text' }) fingerprint!: string;
  @Column({ name: 'plan_hash', type: 'text' }) planHash!: string;
  @Column({ name: 'approval_level', type: 'smallint' }) approvalLevel!: number;
  @Column({ name: 'policy_hash', type: 'text', nullable: true }) policyHash!: string | null;
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'blocked_reason', type: 'text', nullable: true }) blockedReason!: string | null;
  @Column({ name: 'requested_by', type: 'text' }) requestedBy!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
