import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { ApprovalStatus, ExecutionRunRow } from '@lib/execution';
import { ApprovalRow } from './approval.entity';
import { ApprovalExpiryService } from './approval-expiry.service';

export type GateRefusal = 'run_not_found' | 'no_approval' | 'not_approved' | 'approval_expired' | 'plan_changed';

export type GateDecision =
  { allowed: true; run: ExecutionRunRow; approval: ApprovalRow } | { allowed: false; reason: GateRefusal; approvalStatus?: string };

/**
 * The approval gate: anything that acts on a run's approval asks here first. It lets a run
 * through only if its current lane is approved, not expired, and approved the plan the run has
 * now. An approved lane found overdue is expired on the spot (fail closed).
 */
@Injectable()
export class ApprovalGateService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly expiry: ApprovalExpiryService,
  ) {}

  async check(executionRunId: string): Promise<GateDecision> {
    const rows = await this.uow.query<ExecutionRunRow & { lane: ApprovalRow | null; overdue: boolean }>(
      `SELECT r.*, to_jsonb(a) AS lane, coalesce(a.expires_at <= now(), false) AS overdue
       FROM execution_runs r
       LEFT JOIN LATERAL (SELECT * FROM approvals WHERE execution_run_id = r.id ORDER BY lane DESC LIMIT 1) a ON true
       WHERE r.id = $1`,
      [executionRunId],
    );
    if (rows.length === 0) return { allowed: false, reason: 'run_not_found' };
    const { lane, overdue, ...run } = rows[0];
    if (!lane) return { allowed: false, reason: 'no_approval' };
    if (lane.status !== ApprovalStatus.Approved) {
      return {
        allowed: false,
        reason: lane.status === ApprovalStatus.Expired ? 'approval_expired' : 'not_approved',
        approvalStatus: lane.status,
      };
    }
    if (overdue) {
      await this.expiry.expireIfOverdue(executionRunId, 'approval-gate');
      return { allowed: false, reason: 'approval_expired', approvalStatus: lane.status };
    }
    if (lane.plan_hash !== run.plan_hash) return { allowed: false, reason: 'plan_changed', approvalStatus: lane.status };
    return { allowed: true, run: run, approval: lane };
  }
}
