import { Injectable } from '@nestjs/common';
import { AccessService, Permission, Principal } from '@lib/identity';
import { ExecutionRunService } from '@lib/execution';
import { ApprovalRepository } from './approval.repository';
import { RunView } from './approval-summary';
import { RunViewService } from './run-view.service';

/** What waits for a decision: the approvers' inbox, within the caller's projects. */
@Injectable()
export class ApprovalInboxService {
  constructor(
    private readonly access: AccessService,
    private readonly approvals: ApprovalRepository,
    private readonly runs: ExecutionRunService,
    private readonly views: RunViewService,
  ) {}

  /** Runs waiting on a pending approval that has not run out, oldest first; page with the last id as `after`. */
  async pending(principal: Principal, input: { projectId?: string; after?: string; limit: number }): Promise<RunView[]> {
    this.access.assertAllowed(principal, Permission.RunRead, input.projectId);
    const ids = await this.approvals.pendingRunIds({
      projectIds: principal.projectsWith(Permission.RunRead),
      projectId: input.projectId ?? null,
      after: input.after ?? null,
      limit: input.limit,
    });
    const views: RunView[] = [];
    for (const id of ids) views.push(await this.views.of(await this.runs.getRunOrFail(id)));
    return views;
  }

  /** Pending lanes by approval level ("0" to "3"), every project, for metrics. No access check here: the caller makes it. */
  pendingByLevel(): Promise<Map<string, number>> {
    return this.approvals.countPendingByLevel();
  }
}
