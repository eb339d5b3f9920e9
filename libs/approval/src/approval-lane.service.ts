import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { ApprovalSummary, RunApprovalGate } from '@lib/execution';
import { ApprovalRow } from './approval.entity';

/** Opens and reads a run's approval: the implementation of the execution lib's RunApprovalGate port. */
@Injectable()
export class ApprovalLaneService implements RunApprovalGate {
  constructor(private readonly uow: UnitOfWork) {}

  async open(input: { executionRunId: string }): Promise<ApprovalSummary> {
    const [row] = await this.uow.query<ApprovalRow>(
      `INSERT INTO approvals (execution_run_id, status) VALUES ($1, 'pending') RETURNING *`,
      [input.executionRunId],
    );
    return toSummary(row);
  }

  async currentFor(executionRunId: string): Promise<ApprovalSummary | null> {
    const row = await this.currentRow(executionRunId);
    return row ? toSummary(row) : null;
  }

  async currentRow(executionRunId: string): Promise<ApprovalRow | null> {
    const rows = await this.uow.query<ApprovalRow>(
      `SELECT * FROM approvals WHERE execution_run_id = $1 ORDER BY created_at DESC, id LIMIT 1`,
      [executionRunId],
    );
    return rows[0] ?? null;
  }
}

export function toSummary(row: ApprovalRow): ApprovalSummary {
  return { id: row.id, status: row.status, reason: row.reason, decidedBy: row.decided_by, decidedAt: row.decided_at };
}
