import { Injectable } from '@nestjs/common';
import { AuditEventType } from '@lib/audit';
import { PolicyService } from '@lib/policy';
import { ExecutionRunService } from '@lib/execution';
import { ApprovalLaneService, ApprovalStatus } from '@lib/approval';
import { AuthorizeBuildStepHandler } from './authorize-build-step.handler';
import { GrantRepository } from './grant.repository';

/** Leave the approving process this long to run the handler itself before re-driving it. */
const GRACE_SECONDS = 30;
const OUTCOMES = [AuditEventType.GrantMinted, AuditEventType.GrantSkipped, AuditEventType.GrantFailed];

/**
 * The grant handler runs right after an approval commits, in the same process. If that process
 * died in between, the worker finds approved runs of grant-minting actions with no handler
 * outcome yet and runs the (idempotent) handler for them.
 */
@Injectable()
export class GrantReconcilerService {
  constructor(
    private readonly policy: PolicyService,
    private readonly runs: ExecutionRunService,
    private readonly lanes: ApprovalLaneService,
    private readonly grants: GrantRepository,
    private readonly handler: AuthorizeBuildStepHandler,
  ) {}

  async reconcile(limit: number, requestId = 'grant-reconcile'): Promise<number> {
    const minting = this.policy
      .list()
      .filter((actionType) => actionType.mintsGrant)
      .map((actionType) => actionType.code);
    if (minting.length === 0) return 0;
    const pending = await this.grants.approvedWithoutOutcome({
      actions: minting,
      graceSeconds: GRACE_SECONDS,
      outcomeTypes: OUTCOMES,
      limit,
    });
    for (const runId of pending) {
      const run = await this.runs.getRunOrFail(runId);
      const approval = await this.lanes.currentRow(runId);
      if (!approval || approval.status !== ApprovalStatus.Approved) continue;
      await this.handler.handle({ run, approval, actionType: this.policy.getActionTypeOrFail(run.action) }, requestId);
    }
    return pending.length;
  }
}
