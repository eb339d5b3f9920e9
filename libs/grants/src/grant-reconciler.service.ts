import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { PolicyService } from '@lib/governance';
import { ExecutionRunRow } from '@lib/execution';
import { ApprovalRow } from '@lib/approval';
import { AuthorizeBuildStepHandler } from './authorize-build-step.handler';

/**
 * The grant handler runs right after an approval commits, in the same process. If that process
 * died in between, the worker finds approved runs of grant-minting actions with no handler
 * outcome yet and runs the (idempotent) handler for them.
 */
/** Leave the approving process this long to run the handler itself before re-driving it. */
const GRACE_SECONDS = 30;

@Injectable()
export class GrantReconcilerService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly policy: PolicyService,
    private readonly handler: AuthorizeBuildStepHandler,
  ) {}

  async reconcile(limit: number, requestId = 'grant-reconcile'): Promise<number> {
    const minting = this.policy
      .list()
      .filter((actionType) => actionType.mintsGrant)
      .map((actionType) => actionType.code);
    if (minting.length === 0) return 0;
    const pending = await this.uow.query<ExecutionRunRow & { approval: ApprovalRow }>(
      `SELECT r.*, to_jsonb(a) AS approval FROM execution_runs r
       JOIN LATERAL (SELECT * FROM approvals WHERE execution_run_id = r.id ORDER BY lane DESC LIMIT 1) a ON a.status = 'approved'
       WHERE r.status = 'RUN' AND r.action = ANY($1) AND a.decided_at < now() - make_interval(secs => $3)
         AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.chain_key = 'run:' || r.id AND e.event_type IN ('grant.minted', 'grant.skipped', 'grant.failed'))
       ORDER BY r.updated_at LIMIT $2`,
      [minting, limit, GRACE_SECONDS],
    );
    for (const { approval, ...run } of pending) {
      await this.handler.handle({ run, approval, actionType: this.policy.getActionTypeOrFail(run.action) }, requestId);
    }
    return pending.length;
  }
}
