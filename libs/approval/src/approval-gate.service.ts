import { Injectable } from '@nestjs/common';
import { ApprovalRepository, GateVerdict } from './approval.repository';
import { ApprovalStatus } from './approval-status';
import { ApprovalRow } from './approval.tables';
import { ApprovalExpiryService } from './approval-expiry.service';

export type GateRefusal = Exclude<GateVerdict, 'open'> | 'run_not_found';

export type GateDecision = { allowed: true; approval: ApprovalRow } | { allowed: false; reason: GateRefusal; approvalStatus?: string };

/**
 * The approval gate: anything that acts on a run's approval asks here first. The rule itself is
 * PostgreSQL's approval_gate (the claim uses the same function): the run's current lane must be
 * approved, not expired, and for the plan the run has now. An approved lane found overdue is
 * expired on the spot (fail closed).
 */
@Injectable()
export class ApprovalGateService {
  constructor(
    private readonly approvals: ApprovalRepository,
    private readonly expiry: ApprovalExpiryService,
  ) {}

  /** `afterExecution`: an approval its run has carried out (executed) still lets through what the run produced. */
  async check(executionRunId: string, options: { afterExecution?: boolean } = {}): Promise<GateDecision> {
    const gate = await this.approvals.gate(executionRunId, options.afterExecution ?? false);
    if (!gate) return { allowed: false, reason: 'run_not_found' };
    const { verdict, lane } = gate;
    if (verdict === 'open' && lane) return { allowed: true, approval: lane };
    if (verdict === 'open') return { allowed: false, reason: 'no_approval' };
    if (verdict === 'approval_expired' && lane?.status === ApprovalStatus.Approved)
      await this.expiry.expireIfOverdue(executionRunId, 'approval-gate');
    return { allowed: false, reason: verdict, ...(lane ? { approvalStatus: lane.status } : {}) };
  }
}
