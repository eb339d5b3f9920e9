import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The row shape of approvals (snake_case, as RETURNING * gives it). */
export interface ApprovalRow {
  id: string;
  execution_run_id: string;
  status: string;
  reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

@Entity({ name: 'approvals' })
export class ApprovalEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'execution_run_id', type: 'uuid' }) executionRunId!: string;
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ name: 'decided_by', type: 'text', nullable: true }) decidedBy!: string | null;
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true }) decidedAt!: Date | null;
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
