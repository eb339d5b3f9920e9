import { Injectable } from '@nestjs/common';
import { AccessService, Permission, Principal } from '@lib/identity';
import { PolicyService } from '@lib/policy';
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
    private readonly policy: PolicyService,
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

  /**
   * The runs waiting for this caller's decision (the vote's rules, asked in one statement): its
   * approver roles per action and project, not its own request nor one tied to it, not already
   * voted on, not a plan it wrote. Newest first or soonest to expire.
   */
  async mine(
    principal: Principal,
    input: { projectId?: string; order: 'newest' | 'expiring'; after?: { at: string; id: string }; limit: number },
  ): Promise<Array<{ view: RunView; at: string }>> {
    this.access.assertAllowed(principal, Permission.RunRead, input.projectId);
    const deciding = this.policy
      .list()
      .map((actionType) => ({ action: actionType.code, projects: principal.projectsWithRole(actionType.approverRoles) }))
      .filter((entry) => entry.projects === null || entry.projects.length > 0);
    if (deciding.length === 0) return [];
    const rows = await this.approvals.decidableRunIds({
      voter: principal.id,
      voterCredential: principal.credential,
      deciding,
      projectId: input.projectId ?? null,
      order: input.order,
      after: input.after ?? null,
      limit: input.limit,
    });
    const found: Array<{ view: RunView; at: string }> = [];
    for (const row of rows) found.push({ view: await this.views.of(await this.runs.getRunOrFail(row.id)), at: row.at });
    return found;
  }

  /** Pending lanes by approval level ("0" to "3"), every project, for metrics. No access check here: the caller makes it. */
  pendingByLevel(): Promise<Map<string, number>> {
    return this.approvals.countPendingByLevel();
  }

  /** Pending lanes expiring within `seconds` (overdue ones not yet swept included), every project, for metrics. No access check here. */
  pendingExpiringWithin(seconds: number): Promise<number> {
    return this.approvals.countPendingExpiringWithin(seconds);
  }
}
